package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/internal/redact"
	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/sinks/natssink"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/telemetry/oteltel"
)

// Daemon is a running `expressd serve`: the NATS server (when embedded),
// the connection, the task integrations, the binding, the log sinks and the
// HTTP listener. Its methods are safe for concurrent use; Stop is called
// once.
type Daemon struct {
	log      *slog.Logger
	tel      *oteltel.Telemetry
	logs     []*sinks.Dispatcher // execution log dispatchers, closed after the binding
	ns       *server.Server
	nc       *nats.Conn
	requests *natstask.Requester
	binding  *natsjs.Binding
	httpSrv  *http.Server
	natsURL  string
	httpAddr string
}

// NATSURL is the URL of the NATS server the daemon uses (the embedded
// server's client URL, or the configured one, with its password if any:
// print it through [RedactURL]).
func (d *Daemon) NATSURL() string { return d.natsURL }

// HTTPAddr is the address the HTTP listener accepts connections on ("" when
// disabled).
func (d *Daemon) HTTPAddr() string { return d.httpAddr }

// Ready reports whether the daemon is connected, every machine consumes and
// the results and DLQ streams take writes (what /readyz answers).
func (d *Daemon) Ready() bool { return d.binding != nil && d.binding.Ready() }

// Problems lists why the daemon is not ready (see /readyz).
func (d *Daemon) Problems() []string {
	if d.binding == nil {
		return []string{"starting"}
	}
	return d.binding.Problems()
}

// Option tunes Start for a caller other than `expressd serve`.
type Option func(*options)

type options struct {
	workers int
}

// WithWorkers sets the number of engine loops (default GOMAXPROCS), as
// `expressd bench e2e --workers` does.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// Start wires a loaded config ([config.Load]) into running parts and
// returns once every machine is consuming and the HTTP listener (when
// enabled) accepts connections. On error everything started so far is
// stopped. A nil log discards the daemon's own log lines.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (_ *Daemon, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	// d is not the named result: `return nil, err` would nil it before the
	// deferred cleanup runs.
	d := &Daemon{log: log}
	defer func() {
		if err != nil {
			d.Stop(0)
		}
	}()
	tel, err := oteltel.New(oteltel.Options{ServiceName: cfg.Telemetry.ServiceName, OTLPEndpoint: cfg.Telemetry.OTLPEndpoint})
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	d.tel = tel
	if err := d.connect(cfg); err != nil {
		return nil, err
	}
	reg, err := d.integrations(cfg)
	if err != nil {
		return nil, err
	}
	logFor, err := d.logging(cfg)
	if err != nil {
		return nil, err
	}
	progs, err := loadMachines(cfg, reg)
	if err != nil {
		return nil, err
	}
	var machines []natsjs.Machine
	for i, mc := range cfg.Machines {
		prog := progs[i]
		m := natsjs.Machine{Name: mc.Name, Program: prog, Tasks: reg, Concurrency: mc.Concurrency, SyncConcurrency: mc.SyncConcurrency,
			Results: mc.Results.Subject, Timeout: mc.Timeout, Logging: logFor[mc.Name]}
		if t := mc.Trigger; t != nil {
			m.Trigger = &natsjs.Trigger{Stream: t.Stream, Subjects: t.Subjects, Consumer: t.Consumer,
				MaxDeliver: t.MaxDeliver, AckWait: t.AckWait}
		}
		machines = append(machines, m)
	}
	d.binding, err = natsjs.Start(ctx, natsjs.Options{
		Conn:     d.nc,
		Workers:  o.workers,
		Machines: machines,
		Replicas: cfg.NATS.Replicas,
		Engine: engine.Options{Region: cfg.Region, Account: cfg.Account,
			Metrics: tel.Metrics(), Tracer: tel.Tracer()},
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if cfg.HTTP.Enabled() {
		if err := d.serveHTTP(cfg.HTTP.Listen); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// connect starts the embedded NATS server when configured and connects.
func (d *Daemon) connect(cfg *config.Config) error {
	opts := []nats.Option{
		nats.Name(cfg.NATS.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		// The first connect is not retried: a server that cannot be reached
		// at start is a configuration error to report at once ("connection
		// refused"), not 30 s later as a JetStream timeout. Once connected,
		// the daemon reconnects forever.
		nats.Timeout(5 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				d.log.Warn("NATS disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { d.log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	if e := cfg.NATS.Embedded; e != nil {
		ns, err := startEmbedded(e, d.log)
		if err != nil {
			return err
		}
		d.ns = ns
		d.natsURL = ns.ClientURL()
	} else {
		d.natsURL = cfg.NATS.URL
		if cfg.NATS.User != "" {
			opts = append(opts, nats.UserInfo(cfg.NATS.User, string(cfg.NATS.Password)))
		}
		if cfg.NATS.Token != "" {
			opts = append(opts, nats.Token(string(cfg.NATS.Token)))
		}
		if cfg.NATS.Creds != "" {
			opts = append(opts, nats.UserCredentials(cfg.NATS.Creds))
		}
		if cfg.NATS.NKey != "" {
			o, err := nats.NkeyOptionFromSeed(cfg.NATS.NKey)
			if err != nil {
				return fmt.Errorf("nats.nkey: %w", err)
			}
			opts = append(opts, o)
		}
		if t := cfg.NATS.TLS; t != nil {
			if t.CA != "" {
				opts = append(opts, nats.RootCAs(t.CA))
			}
			if t.Cert != "" {
				opts = append(opts, nats.ClientCert(t.Cert, t.Key))
			}
			name := t.ServerName
			opts = append(opts, func(o *nats.Options) error {
				if o.TLSConfig == nil {
					o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				if name != "" {
					o.TLSConfig.ServerName = name
				}
				o.Secure = true
				return nil
			})
		}
	}
	nc, err := nats.Connect(d.natsURL, opts...)
	if err != nil {
		return fmt.Errorf("cannot reach NATS at %s: %w", redact.URL(d.natsURL), connectError(d.natsURL, err))
	}
	d.nc = nc
	return nil
}

// integrations builds the task registry on the daemon's connection.
func (d *Daemon) integrations(cfg *config.Config) (*task.Registry, error) {
	reg, req, err := TaskRegistry(cfg, d.nc, d.tel.Tracer())
	d.requests = req
	return reg, err
}

// TaskRegistry builds the task registry of `expressd serve`: nats:request,
// nats:publish, http:invoke and Lambda (mapped to NATS subjects or HTTP
// URLs). With nc nil (`expressd validate --config`) it resolves and checks
// resources exactly as serve does, including Lambda function mappings, but
// its handlers cannot be called.
func TaskRegistry(cfg *config.Config, nc *nats.Conn, tracer telemetry.Tracer) (*task.Registry, *natstask.Requester, error) {
	var (
		req        *natstask.Requester
		reqHandler task.Handler = offline{"nats:request"}
		pubHandler task.Handler = offline{"nats:publish"}
	)
	if nc != nil {
		var err error
		if req, err = natstask.NewRequest(nc, natstask.WithTimeout(cfg.Integrations.NATS.RequestTimeout), natstask.WithTracer(tracer)); err != nil {
			return nil, nil, err
		}
		pub, err := natstask.NewPublish(nc, natstask.WithTracer(tracer))
		if err != nil {
			return nil, nil, err
		}
		reqHandler, pubHandler = req, pub
	}
	fns := make(map[string]lambda.Target, len(cfg.Integrations.Lambda.Functions))
	for name, t := range cfg.Integrations.Lambda.Functions {
		fns[name] = lambda.Target{Subject: t.Subject, URL: t.URL}
	}
	// HTTP task calls carry the execution's trace context.
	client := &http.Client{Timeout: cfg.Integrations.HTTP.Timeout, Transport: traceTransport{base: http.DefaultTransport, tracer: tracer}}
	lh, err := lambda.New(lambda.Options{Functions: fns, SubjectPrefix: cfg.Integrations.Lambda.SubjectPrefix,
		Region: cfg.Region, Account: cfg.Account}, req, client)
	if err != nil {
		return nil, nil, err
	}
	reg := &task.Registry{}
	for _, r := range []struct {
		name  string
		match task.Match
		h     task.Handler
	}{
		{"nats:request", natstask.MatchRequest, reqHandler},
		{"nats:publish", natstask.MatchPublish, pubHandler},
		{"http:invoke", httptask.Match, httptask.New(httptask.WithTimeout(cfg.Integrations.HTTP.Timeout), httptask.WithClient(client))},
		{"lambda", lambda.Match, lh},
	} {
		if err := reg.Register(r.name, r.match, r.h); err != nil {
			return nil, nil, err
		}
	}
	return reg, req, nil
}

// offline stands for an integration that needs a NATS connection in a
// registry that only checks definitions.
type offline struct{ name string }

// Invoke implements task.Handler: it always fails.
func (o offline) Invoke(_ context.Context, _ *task.Request, done func(task.Result)) {
	done(task.Result{Err: &task.Error{Name: states.Runtime, Cause: "expressd: " + o.name + " is not connected (this registry only checks definitions)"}})
}

// serveHTTP serves /healthz (the process is up) and /readyz (connected to
// NATS and consuming).
func (d *Daemon) serveHTTP(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", addr, err)
	}
	d.httpAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", d.tel.Handler())
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if d.Ready() {
			fmt.Fprintln(w, "ready")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready:")
		for _, p := range d.Problems() {
			fmt.Fprintln(w, "- "+p)
		}
	})
	d.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := d.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http", "error", err)
		}
	}()
	return nil
}

// Stop shuts everything down: the binding drains for up to drain (then naks
// what is still running), then the integrations, the connection, the HTTP
// listener and the embedded server.
func (d *Daemon) Stop(drain time.Duration) {
	if d.binding != nil {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		d.binding.Stop(ctx)
		cancel()
	}
	// What follows runs side by side where it can: the shutdown as a whole
	// must fit an orchestrator's stop timeout (Docker: 10 s), and each part
	// may wait on something slow (a sink's disk, an OTLP endpoint that does
	// not answer, 1,000 consumers in the embedded server).
	var wg sync.WaitGroup
	if d.tel != nil {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = d.tel.Shutdown(ctx)
			cancel()
		})
	}
	if d.httpSrv != nil {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = d.httpSrv.Shutdown(ctx)
			cancel()
		})
	}
	var conn sync.WaitGroup // what must finish before the connection closes
	if d.requests != nil {
		conn.Go(func() { _ = d.requests.Close() })
	}
	for _, disp := range d.logs {
		conn.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := disp.Close(ctx); err != nil {
				d.log.Warn("closing log sinks", "error", err)
			}
			cancel()
		})
	}
	conn.Wait()
	if d.nc != nil {
		_ = d.nc.Drain()
		for i := 0; i < 50 && !d.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		d.nc.Close()
	}
	if d.ns != nil {
		stopEmbedded(d.ns, d.log)
	}
	wg.Wait()
}

// logging builds the execution log sinks: one dispatcher for the top-level
// logging config, shared by the machines that do not override sinks, and
// one per machine that has its own. It returns each machine's Logging.
func (d *Daemon) logging(cfg *config.Config) (map[string]*engine.Logging, error) {
	reg := sinks.Builtin()
	if err := reg.Register(natssink.Plugin(d.nc)); err != nil {
		return nil, err
	}
	build := func(scope, machine string, list []config.Sink) (*sinks.Dispatcher, error) {
		var named []sinks.Named
		for i, sc := range list {
			n, err := reg.New(sinks.Options{Type: sc.Type, Filter: sc.Filter, Buffer: sc.Buffer, Path: sc.Path,
				Compression: sc.Compression, MaxBytes: int64(sc.MaxBytes), MaxFiles: sc.MaxFiles,
				Subject: sc.Subject, Stream: sc.Stream, Machine: machine})
			if err != nil {
				return nil, fmt.Errorf("%s sinks[%d]: %w", scope, i, err)
			}
			n.Name = scope + "/" + sc.Type + "#" + strconv.Itoa(i)
			named = append(named, n)
		}
		disp := sinks.NewDispatcher(named, d.tel.Metrics(), d.log)
		d.logs = append(d.logs, disp)
		return disp, nil
	}
	var global *sinks.Dispatcher
	out := map[string]*engine.Logging{}
	for _, mc := range cfg.Machines {
		eff := mc.EffectiveLogging(cfg.Logging)
		level, err := engine.ParseLevel(string(eff.Level))
		if err != nil {
			return nil, fmt.Errorf("machine %s: %w", mc.Name, err)
		}
		if level == engine.LevelOff || len(eff.Sinks) == 0 {
			continue
		}
		var disp *sinks.Dispatcher
		if mc.Logging != nil && mc.Logging.Sinks != nil {
			if disp, err = build("machines."+mc.Name, mc.Name, eff.Sinks); err != nil {
				return nil, err
			}
		} else {
			if global == nil {
				if global, err = build("logging", "", cfg.Logging.Sinks); err != nil {
					return nil, err
				}
			}
			disp = global
		}
		out[mc.Name] = &engine.Logging{Level: level, IncludeData: eff.IncludeExecutionData, Emit: disp.Emit}
	}
	return out, nil
}

// traceTransport injects the trace context of each request's context into
// its headers (W3C traceparent), for HTTP task calls.
type traceTransport struct {
	base   http.RoundTripper
	tracer telemetry.Tracer
}

// RoundTrip implements http.RoundTripper.
func (t traceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	t.tracer.Inject(r.Context(), telemetry.MapCarrier(r.Header))
	return t.base.RoundTrip(r)
}

// GCPercent is the garbage collector target of the daemon when GOGC
// is not set: the live heap of a running daemon is small (events in flight,
// parked executions), and at the default of 100 a busy daemon collects so
// often that mark phases dominate its tail latency (bench e2e at 10,000
// executions/s: p99 of 9-19 ms at GOGC=100, about 5 ms with collection off).
// 400 trades some memory for far fewer collections; GOGC and GOMEMLIMIT in
// the environment take precedence. SetGC applies it to the process (serve and
// the bench harness call it).
const GCPercent = 400

func SetGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}

// RedactURL hides the user info and query of each URL in s (see
// pkg/internal/redact), for commands that print server URLs.
func RedactURL(s string) string { return redact.URL(s) }
