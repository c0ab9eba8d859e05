package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/expressd/expressd/pkg/config"
)

// embeddedReadyTimeout bounds the wait for the embedded server to accept
// connections (recovering a large JetStream store takes a while).
const embeddedReadyTimeout = 30 * time.Second

// startEmbedded starts the in-process nats-server with JetStream. A
// listen address that is taken is reported at once, as the operating system
// says it ("127.0.0.1:4222: address already in use"), not as a server that
// never becomes ready; so is any error the server logs as fatal while it
// starts (an unusable store directory, say). The server's warnings and
// errors go to the daemon's log.
func startEmbedded(e *config.Embedded, log *slog.Logger) (*server.Server, error) {
	host, portText, err := net.SplitHostPort(e.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.embedded.listen %q: %w", e.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("nats.embedded.listen %q: bad port", e.Listen)
	}
	// The server does not return its listen error: it logs it and never
	// becomes ready. Try the address first.
	if ln, err := net.Listen("tcp", e.Listen); err != nil {
		return nil, fmt.Errorf("nats.embedded.listen %s: %w", e.Listen, listenError(err))
	} else {
		ln.Close()
	}
	if port == 0 {
		port = -1 // a free port, chosen by the server (nats-server's 0 means 4222)
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "expressd",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   e.StoreDir,
		NoSigs:     true,
		MaxPayload: 8 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	sl := &serverLog{log: log.With("component", "nats-server"), fatal: make(chan string, 1)}
	ns.SetLoggerV2(sl, false, false, false)
	ns.Start()
	deadline := time.Now().Add(embeddedReadyTimeout)
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		select {
		case msg := <-sl.fatal:
			ns.Shutdown()
			return nil, fmt.Errorf("embedded NATS on %s: %s", e.Listen, msg)
		default:
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			return nil, fmt.Errorf("embedded NATS: not ready on %s after %s", e.Listen, embeddedReadyTimeout)
		}
	}
	return ns, nil
}

// listenError keeps the operating system's words for the usual causes.
func listenError(err error) error {
	var se *net.OpError
	if errors.As(err, &se) && se.Err != nil {
		return se.Err
	}
	return err
}

// connectError makes the first failed connect to an external server say
// what happened: nats.go reports a refused connection, a name that does
// not resolve or a server that does not answer all as "no servers
// available for connection". Dialing the servers again finds the reason.
func connectError(urls string, err error) error {
	if !errors.Is(err, nats.ErrNoServers) {
		return err
	}
	for _, u := range strings.Split(urls, ",") {
		pu, perr := url.Parse(strings.TrimSpace(u))
		if perr != nil || pu.Host == "" {
			continue
		}
		host := pu.Host
		if pu.Port() == "" {
			host = net.JoinHostPort(pu.Hostname(), "4222")
		}
		c, derr := net.DialTimeout("tcp", host, 2*time.Second)
		if derr == nil {
			c.Close()
			continue
		}
		return listenError(derr)
	}
	return err
}

// serverLog passes the embedded server's warnings and errors to the
// daemon's log; its notices (startup banner and the like) are debug lines.
// A fatal error while starting ends the wait for the server.
type serverLog struct {
	log   *slog.Logger
	fatal chan string
}

func (l *serverLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLog) Debugf(format string, v ...any)  {}
func (l *serverLog) Tracef(format string, v ...any)  {}

func (l *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	select {
	case l.fatal <- msg:
	default:
	}
}

// embeddedStopWait bounds how long the daemon waits for the embedded
// server's shutdown. nats-server stops the JetStream consumers one after
// the other, about 10 ms each (it polls for each consumer's state flusher),
// so 1,000 machines took 11 s — past Docker's default stop timeout of 10 s.
// Not waiting longer loses nothing: the daemon has stopped consuming and
// its acks were flushed before, nats-server writes a consumer's state within
// 100 ms of each change, and it writes each message of a single-server
// stream to its file before it acknowledges it; stream index files not
// rewritten are rebuilt from the message blocks at the next start.
const embeddedStopWait = 5 * time.Second

// stopEmbedded shuts the embedded server down, waiting up to
// embeddedStopWait.
func stopEmbedded(ns *server.Server, log *slog.Logger) {
	done := make(chan struct{})
	go func() {
		ns.Shutdown()
		ns.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(embeddedStopWait):
		log.Warn("embedded NATS server still stopping its JetStream consumers; not waiting longer", "waited", embeddedStopWait)
	}
}
