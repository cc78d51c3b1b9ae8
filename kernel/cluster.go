// Package kernel runs paragraphs: interpreters, statement splitting, result
// materialisation, the Flink clients and the local cluster launcher.
package kernel

// ClusterStatus is what Eddy knows of the Flink cluster it submits to.
type ClusterStatus struct {
	Mode           string `json:"mode"` // "local" or "remote"
	Ready          bool   `json:"ready"`
	FlinkVersion   string `json:"flinkVersion"`
	GatewayURL     string `json:"gatewayUrl"`
	RestURL        string `json:"restUrl"`
	WebUIURL       string `json:"webUiUrl"`
	TaskManagers   int    `json:"taskManagers"`
	SlotsTotal     int    `json:"slotsTotal"`
	SlotsAvailable int    `json:"slotsAvailable"`
	JobsRunning    int    `json:"jobsRunning"`
	Error          string `json:"error,omitempty"` // why the cluster is not ready, if known
}
