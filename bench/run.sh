#!/bin/sh
# Runs every measurement of bench/README.md and prints one JSON object per
# line (plus the load average before each, since figures from a machine
# shared with other work are not comparable). Usage, from the repository root:
#   sh bench/run.sh [quick] > results.jsonl
# "quick" uses small counts (a smoke test of the harness, not figures).
set -eu
go build -o /tmp/expressd-bench ./cmd/expressd
B=/tmp/expressd-bench
W=bench/workloads
D=5s; E=100000; F=20000; P1=100000; P2=1000000
if [ "${1:-}" = quick ]; then D=200ms; E=2000; F=500; P1=1000; P2=2000; fi
note() { echo "{\"note\":\"$1\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"date\":\"$(date -u +%FT%TZ)\"}"; }
for w in reference-10 iot-enrichment; do
  for n in 1 2; do
    note "vm $w workers=$n"; $B bench vm $W/$w --duration $D --workers $n --json
  done
done
note "e2e reference-10 unlimited"; $B bench e2e $W/reference-10 --events $E --json
note "e2e reference-10 rate 10000"; $B bench e2e $W/reference-10 --events $E --rate 10000 --json
note "e2e iot-enrichment"; $B bench e2e $W/iot-enrichment --events $F --json
note "e2e fanout"; $B bench e2e $W/fanout --events $F --json
note "parked $P1"; $B bench parked $W/wait-heavy --executions $P1 --json
note "parked $P2"; $B bench parked $W/wait-heavy --executions $P2 --json
