package naming

import (
	"crypto/sha256"
	"encoding/hex"
)

// QueueName returns the queue name tomodachi generates for a handler that does
// not name its queue: prefix followed by the lowercase hex SHA-256 of the hash
// input, followed by ".fifo" when fifo is true.
//
// The hash input is EncodeTopic(topic) for competing consumers, so every
// process of every service subscribing to topic with competing set shares one
// queue. For non-competing consumers it is EncodeTopic(topic) + handler +
// serviceUUID, giving each service (and each handler in it) a queue of its own;
// handler is the name of the handling function and serviceUUID the service's
// stable id, both as the tomodachi service uses them. The topic is hashed
// without the topic prefix.
func QueueName(prefix, topic string, competing bool, handler, serviceUUID string, fifo bool) string {
	input := EncodeTopic(topic)
	if !competing {
		input += handler + serviceUUID
	}
	sum := sha256.Sum256([]byte(input))
	name := prefix + hex.EncodeToString(sum[:])
	if fifo {
		name += FIFOSuffix
	}
	return name
}
