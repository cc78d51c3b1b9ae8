package kernel

// GatewaySession returns a kernel's gateway session handle, so tests can
// make the gateway lose it.
func GatewaySession(k *Kernel) string { return k.gatewaySession() }

// CompleterSession returns a Completer's shared gateway session handle, ""
// while none is open.
func CompleterSession(c *Completer) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.handle
}

// JobNote is jobNote, for tests.
var JobNote = jobNote

// KafkaProbed records one probe of the Kafka broker, as WatchKafka does.
func KafkaProbed(c *Cluster, err error) { c.kafkaProbed(err) }

// KafkaState is the cluster's current or last Kafka outage and a channel closed at its next change.
func KafkaState(c *Cluster) (*KafkaOutage, <-chan struct{}) { return c.kafkaState() }

// JobName is jobName, for tests.
var JobName = jobName
