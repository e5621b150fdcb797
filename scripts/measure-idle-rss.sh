#!/usr/bin/env bash
# Measures tidegate's resident memory when idle: once after start on an empty data directory,
# and once after ingesting ROWS rows and idling again. Reads VmRSS (resident now) and VmHWM
# (peak resident) from /proc/PID/status. Linux only; needs curl and awk.
#
# Usage: scripts/measure-idle-rss.sh [BINARY] [ROWS] [IDLE_SECONDS]
#   BINARY        default target/release/tidegate (build it first: cargo build --release)
#   ROWS          default 100000, written as Machbase method=insert requests of 10000 rows
#   IDLE_SECONDS  default 5, the wait before each reading
# The server listens on 127.0.0.1 on a free port and its temporary data directory is
# removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

binary=${1:-target/release/tidegate}
rows=${2:-100000}
idle_s=${3:-5}
rows_per_request=10000
tags=10

[ -x "$binary" ] || { echo "no executable $binary (cargo build --release)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tidegate-rss.XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 1 300); do # at most 30 s
    grep -q 'ready$' "$work/stdout" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
    sleep 0.1
done
grep -q 'ready$' "$work/stdout" || { echo "tidegate did not get ready in 30 s" >&2; exit 1; }
addr=$(sed -n 's|^tidegate: listening on http://||p' "$work/stdout" | head -1)

# Prints "LABEL: VmRSS N kB, VmHWM N kB".
report() {
    awk -v label="$1" '
        /^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
        END { printf "%s: VmRSS %d kB (%.1f MiB), VmHWM %d kB (%.1f MiB)\n", label, rss, rss / 1024, hwm, hwm / 1024 }
    ' "/proc/$pid/status"
}

sleep "$idle_s"
report "idle after start (empty data dir, ${idle_s} s)"

curl -sf -o /dev/null "http://$addr/db/query" --data-urlencode \
    "q=create tag table RSS (name varchar(40) primary key, time datetime basetime, value double)"
written=0
while [ "$written" -lt "$rows" ]; do
    n=$((rows - written < rows_per_request ? rows - written : rows_per_request))
    awk -v first="$written" -v n="$n" -v tags="$tags" 'BEGIN {
        printf "{\"data\":{\"columns\":[\"name\",\"time\",\"value\"],\"rows\":["
        for (i = 0; i < n; i++) {
            r = first + i
            printf "%s[\"sensor%d\",%d,%d.25]", (i ? "," : ""), r % tags, 1700000000 + r, r
        }
        printf "]}}"
    }' >"$work/body.json"
    reply=$(curl -sf -X POST "http://$addr/db/write/RSS?timeformat=s&method=insert" \
        -H 'Content-Type: application/json' --data-binary "@$work/body.json")
    case $reply in
    *"success, $n record(s) inserted"*) ;;
    *) echo "write failed: $reply" >&2; exit 1 ;;
    esac
    written=$((written + n))
done
stored=$(curl -sf -G "http://$addr/db/query" --data-urlencode 'q=select time from RSS' \
    --data-urlencode format=csv --data-urlencode header=skip | grep -c .)
[ "$stored" -eq "$rows" ] || { echo "read back $stored rows, wrote $rows" >&2; exit 1; }

sleep "$idle_s"
report "idle after ingesting $rows rows and reading them back (${idle_s} s)"
