package event

// Batch is what an input hands the pipeline: events and the one
// acknowledgement that settles them.
//
// The pipeline calls Ack exactly once, after every output has accepted
// the batch's events that reached it (also when filters dropped them all),
// and never for a batch it could not deliver before shutdown. What Ack
// does is the input's business: the file input records the offset after
// the batch's last line, beats sends the Lumberjack ACK. Once Ack is
// called the input may reuse the events' memory; until then the events
// belong to the pipeline, whose filters change them in place. A nil Ack
// means there is nothing to settle.
type Batch struct {
	Events []Event
	Ack    func()
}
