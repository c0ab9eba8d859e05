package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/daemon"
	"github.com/expressd/expressd/pkg/engine/natsjs"
)

const defaultServer = "nats://127.0.0.1:4222"

// cmdPublish publishes events into JetStream (each one stored, PubAck
// awaited), so the quickstart needs no other NATS tool.
func cmdPublish(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultServer, "NATS server URL")
	count := fs.Int("count", 1, "number of events to publish")
	rate := fs.Float64("rate", 0, "events per second (0: as fast as PubAcks allow)")
	msgID := fs.String("msg-id", "", "Nats-Msg-Id (with --count > 1, \"-<n>\" is appended)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: expressd publish [--server URL] [--count N] [--rate R] [--msg-id ID] SUBJECT DATA")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 2 || *count < 1 || *rate < 0 {
		fs.Usage()
		return 2
	}
	subject, data := pos[0], []byte(pos[1])
	nc, err := nats.Connect(*server, nats.Name("expressd-publish"))
	if err != nil {
		fmt.Fprintf(stderr, "expressd publish: connect %s: %v\n", daemon.RedactURL(*server), err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintf(stderr, "expressd publish: %v\n", err)
		return 1
	}
	var tick *time.Ticker
	if *rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / *rate))
		defer tick.Stop()
	}
	const window = 1024 // PubAcks awaited in batches
	var futures []jetstream.PubAckFuture
	stored, dups := 0, 0
	flush := func() error {
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				// A PubAck that says Duplicate: the stream already holds a
				// message with this Nats-Msg-Id and dropped this one.
				if ack.Duplicate {
					dups++
				} else {
					stored++
				}
			case err := <-f.Err():
				return err
			case <-time.After(10 * time.Second):
				return errors.New("no PubAck after 10s")
			}
		}
		futures = futures[:0]
		return nil
	}
	for i := 0; i < *count; i++ {
		if tick != nil {
			<-tick.C
		}
		msg := nats.NewMsg(subject)
		msg.Data = data
		if *msgID != "" {
			id := *msgID
			if *count > 1 {
				id += "-" + strconv.Itoa(i+1)
			}
			msg.Header.Set(nats.MsgIdHdr, id)
		}
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			fmt.Fprintf(stderr, "expressd publish: %v\n", err)
			return 1
		}
		futures = append(futures, f)
		if len(futures) == window {
			if err := flush(); err != nil {
				fmt.Fprintf(stderr, "expressd publish: %s: %v (is a stream bound to this subject? expressd serve creates the trigger streams)\n", subject, err)
				return 1
			}
		}
	}
	if err := flush(); err != nil {
		fmt.Fprintf(stderr, "expressd publish: %s: %v (is a stream bound to this subject? expressd serve creates the trigger streams)\n", subject, err)
		return 1
	}
	if dups > 0 {
		fmt.Fprintf(stdout, "published %d event(s) to %s; %d dropped by the stream as duplicates (same Nats-Msg-Id within its duplicate window)\n", stored, subject, dups)
		return 0
	}
	fmt.Fprintf(stdout, "published %d event(s) to %s\n", stored, subject)
	return 0
}

// cmdResults prints a machine's stored results, one JSON object per line;
// exit 1 when there are none (a misspelt machine name prints nothing).
func cmdResults(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("results", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", defaultServer, "NATS server URL")
	follow := fs.Bool("follow", false, "keep printing new results until interrupted")
	last := fs.Int("last", 0, "print only the last N results (0: all)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: expressd results [--server URL] [--follow] [--last N] MACHINE")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 || *last < 0 {
		fs.Usage()
		return 2
	}
	subject := natsjs.ResultsPrefix + pos[0]
	nc, err := nats.Connect(*server, nats.Name("expressd-results"))
	if err != nil {
		fmt.Fprintf(stderr, "expressd results: connect %s: %v\n", daemon.RedactURL(*server), err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintf(stderr, "expressd results: %v\n", err)
		return 1
	}
	ctx := context.Background()
	stream, err := js.Stream(ctx, natsjs.ResultsStream)
	if err != nil {
		fmt.Fprintf(stderr, "expressd results: stream %s: %v (has expressd serve run yet?)\n", natsjs.ResultsStream, err)
		return 1
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}
	pending := uint64(0)
	if !*follow || *last > 0 {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			fmt.Fprintf(stderr, "expressd results: %v\n", err)
			return 1
		}
		pending = info.State.Subjects[subject]
		if *last > 0 && pending > uint64(*last) {
			cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			cfg.OptStartSeq = seqForLast(ctx, stream, subject, *last)
			pending = uint64(*last)
		}
	}
	if !*follow && pending == 0 {
		fmt.Fprintf(stderr, "expressd results: no results stored for machine %q (subject %s); is the name right, and has an event run?\n", pos[0], subject)
		return 1
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "expressd results: %v\n", err)
		return 1
	}
	it, err := cons.Messages()
	if err != nil {
		fmt.Fprintf(stderr, "expressd results: %v\n", err)
		return 1
	}
	defer it.Stop()
	var printed uint64
	for *follow || printed < pending {
		msg, err := it.Next()
		if err != nil {
			fmt.Fprintf(stderr, "expressd results: %v\n", err)
			return 1
		}
		stdout.Write(append(msg.Data(), '\n'))
		printed++
	}
	return 0
}

// seqForLast finds the stream sequence from which the last n messages on
// subject start, by walking back from the last one.
func seqForLast(ctx context.Context, s jetstream.Stream, subject string, n int) uint64 {
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		return 1
	}
	seq := m.Sequence
	for i := 1; i < n && seq > 1; {
		seq--
		if mm, err := s.GetMsg(ctx, seq); err == nil && mm.Subject == subject {
			i++
		}
	}
	return seq
}
