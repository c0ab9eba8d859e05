package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/daemon"
)

// cmdServe runs the daemon until SIGINT or SIGTERM.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader of stdout or stderr that goes away (expressd serve | head)
	// must not kill the daemon: by default Go exits on SIGPIPE from a write
	// to fd 1 or 2. Ignored, the write fails with EPIPE instead, which the
	// stdout sink counts and reports like any other write error.
	signal.Ignore(syscall.SIGPIPE)
	return serve(ctx, args, stdout, stderr)
}

// serve runs the daemon until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "configs/expressd.yaml", "config file (YAML)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: expressd serve [--config FILE]")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 0 {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	// The daemon's own log goes to stderr; stdout carries only what the
	// stdout sink writes (JSON lines), so `expressd serve | jq` works.
	log := slog.New(slog.NewTextHandler(stderr, nil))
	daemon.SetGC()
	d, err := daemon.Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "expressd serve: %v\n", err)
		return 1
	}
	log.Info("expressd serving", "machines", len(cfg.Machines), "nats", daemon.RedactURL(d.NATSURL()), "http", d.HTTPAddr())
	<-ctx.Done()
	log.Info("shutting down", "drain_timeout", cfg.Shutdown.DrainTimeout)
	d.Stop(cfg.Shutdown.DrainTimeout)
	return 0
}
