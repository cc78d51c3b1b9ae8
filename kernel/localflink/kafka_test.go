package localflink

import "testing"

func TestNewKafkaClusterID(t *testing.T) {
	for range 2000 { // a leading '-' would come up about once in 64
		id, err := newKafkaClusterID()
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != 22 || id[0] == '-' {
			t.Fatalf("cluster id %q", id)
		}
	}
}
