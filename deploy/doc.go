// Package deploy holds Eddy's Kubernetes manifests (the *.yaml files beside
// this one) and no code: its tests check every manifest against its schema,
// Kubernetes' own or the Flink Kubernetes Operator's published CRD, and check
// that the manifests name each other (services, volumes, flags) consistently.
// See docs/kubernetes.md.
package deploy
