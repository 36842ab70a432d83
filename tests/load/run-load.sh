#!/usr/bin/env bash
# Veil load harness: Postfix's smtp-source -> Veil (encrypting) -> smtp-sink, the same load through a second Veil
# that also pseudonymises correspondents and ARC-seals what it relays (system veil-pseudo: its rule pseudonymises,
# its pipeline ends in arc-seal), and through a plain Postfix relay into a second smtp-sink, in one run. Prints messages/s (end-to-end: until the sink has every
# message), acceptance latency p50/p99, queue latency p50/p99 and the Veil/Postfix ratio for 5 KB, 50 KB and 1 MB
# messages at 10 and 50 concurrent sessions; then 20 concurrent 25 MB messages into Veil under -Xmx512m.
#
# Figures only: nothing here asserts a speed. Everything stays on 127.0.0.1, counts and times are bounded, and
# every process the script starts is stopped on exit (also on failure or Ctrl-C).
#
# Needs (Debian): postfix (smtp-source, smtp-sink, postfix, postconf), python3, openjdk-17 (java), and a built
# gateway/target/veil.jar (mvn -o -DskipTests package). Must run as root (a private Postfix instance, smtp-sink -u).
#
# Knobs (environment):
#   LOAD_SCALE=1            multiplies every message count (0.1 for a quick smoke run)
#   LOAD_SIZES="5120 51200 1048576"   payload bytes (smtp-source -l)
#   LOAD_SESSIONS="10 50"   concurrent SMTP sessions per cell (one of them is the latency probe)
#   LOAD_COUNT_<size>=N     messages per cell for that size before scaling (defaults: 5120:3000 51200:3000
#                           1048576:500, see count_for)
#   LOAD_SYSTEMS="veil veil-pseudo postfix"   which systems to measure (veil-pseudo: pseudonymise + encrypt + ARC)
#   LOAD_REPEAT=3           each cell is measured this many times per system, in turns (the order reversed every other
#                           turn); the table gives each system's median and the range of the per-turn ratios
#   LOAD_MEMTEST=1          run the 20 x 25 MB memory check (LOAD_MEMTEST_COUNT, LOAD_MEMTEST_SIZE)
#   LOAD_VEIL_JAR=gateway/target/veil.jar   copied to the work dir before starting
#   LOAD_VEIL_HEAP=512m     Veil's -Xmx;  LOAD_VEIL_JAVA_OPTS: more JVM options;  LOAD_VEIL_WORKERS=32: queue.workers (Veil's default)
#   LOAD_VEIL_PROFILE=0     1: record Veil with Java Flight Recorder and print where its threads spend time
#   LOAD_VEIL_JFC=profile   the JFR settings for LOAD_VEIL_PROFILE (a .jfc file: e.g. one with 1 ms sampling)
#   LOAD_REUSE_CONNECTIONS=0  1: several messages per connection (smtp-source -d), else one connection each
#   LOAD_WARMUP=2000        messages (5 KB, 10 sessions) per warm-up round (not scaled)
#   LOAD_WARMUP_ROUNDS=8    Veil is warmed up in rounds of LOAD_WARMUP messages until its JIT compiler threads use at
#   LOAD_JIT_QUIET=0.05     most this share of its CPU in a round, or for this many rounds
#   LOAD_CELL_TIMEOUT=300   seconds a cell may take;  LOAD_MAX_SECONDS=3600: the whole run
#   LOAD_WORKDIR=$(mktemp -d)   LOAD_KEEP=0 (1: keep the work dir with logs, spool and CSVs)
set -euo pipefail
{ # the whole script is read before it runs: editing it during a run cannot break that run

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

LOAD_SCALE=${LOAD_SCALE:-1}
LOAD_SIZES=${LOAD_SIZES:-"5120 51200 1048576"}
LOAD_SESSIONS=${LOAD_SESSIONS:-"10 50"}
LOAD_SYSTEMS=${LOAD_SYSTEMS:-"veil veil-pseudo postfix"}
LOAD_REPEAT=${LOAD_REPEAT:-3}
LOAD_MEMTEST=${LOAD_MEMTEST:-1}
LOAD_MEMTEST_COUNT=${LOAD_MEMTEST_COUNT:-20}
LOAD_MEMTEST_SIZE=${LOAD_MEMTEST_SIZE:-26214400}
LOAD_VEIL_JAR=${LOAD_VEIL_JAR:-$ROOT/gateway/target/veil.jar}
LOAD_VEIL_HEAP=${LOAD_VEIL_HEAP:-512m}
LOAD_VEIL_JAVA_OPTS=${LOAD_VEIL_JAVA_OPTS:-}
LOAD_VEIL_WORKERS=${LOAD_VEIL_WORKERS:-}
LOAD_VEIL_PROFILE=${LOAD_VEIL_PROFILE:-0}
LOAD_REUSE_CONNECTIONS=${LOAD_REUSE_CONNECTIONS:-0}
LOAD_WARMUP=${LOAD_WARMUP:-2000}
LOAD_WARMUP_ROUNDS=${LOAD_WARMUP_ROUNDS:-8}
LOAD_JIT_QUIET=${LOAD_JIT_QUIET:-0.05}
LOAD_CELL_TIMEOUT=${LOAD_CELL_TIMEOUT:-300}
LOAD_MAX_SECONDS=${LOAD_MAX_SECONDS:-3600}
LOAD_KEEP=${LOAD_KEEP:-0}
RCPT=rcpt@example.com

count_for() { # size -> messages per cell (before LOAD_SCALE)
    local size=$1 var="LOAD_COUNT_$1" n
    case $size in
        5120) n=3000 ;;
        51200) n=3000 ;;
        1048576) n=500 ;;
        *) n=$(( 15000000 / size + 100 )) ;;
    esac
    n=${!var:-$n}
    python3 -c "import sys; print(max(int(sys.argv[3]) * 2, int(round(int(sys.argv[1]) * float(sys.argv[2])))))" \
        "$n" "$LOAD_SCALE" "$2"
}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "FATAL: $*"; exit 1; }

[[ "$LOAD_REPEAT" =~ ^[1-9][0-9]*$ ]] || die "LOAD_REPEAT must be a whole number of turns, 1 or more (not '$LOAD_REPEAT')"
[ "$(id -u)" = 0 ] || die "run as root (private Postfix instance, smtp-sink -u nobody)"
for tool in /usr/sbin/smtp-source /usr/sbin/smtp-sink /usr/sbin/postfix /usr/sbin/postconf python3 java; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian packages: postfix python3 openjdk-17-jre-headless)"
done
[ -f "$LOAD_VEIL_JAR" ] || die "$LOAD_VEIL_JAR is missing: cd $ROOT && mvn -q -o -DskipTests package"

WORK=${LOAD_WORKDIR:-$(mktemp -d /tmp/veil-load.XXXXXX)}
mkdir -p "$WORK"
chmod 755 "$WORK"   # the Postfix daemons (user postfix) and smtp-sink (nobody) need to get in
cp "$HERE/loadtool.py" "$WORK/loadtool.py"   # a copy, so that editing the harness cannot change a running run
TOOL="python3 $WORK/loadtool.py"
RESULTS=$WORK/results.jsonl
: > "$RESULTS"
SINK_PIDS=()
VEIL_PID=""
PSEUDO_PID=""
CHILD_PID=""
WATCHDOG_PID=""
PF_CONF=""
T_START=$(date +%s)

# ------------------------------------------------------------------------------------------------ cleanup

stop_java() { # pid name
    local pid=$1
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$2 did not stop within 30 s of SIGTERM: killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

stop_veil() {
    stop_java "$VEIL_PID" Veil
    VEIL_PID=""
    stop_java "$PSEUDO_PID" "Veil (veil-pseudo)"
    PSEUDO_PID=""
}

stop_postfix() {
    [ -n "$PF_CONF" ] || return 0
    local pidfile=$WORK/postfix/queue/pid/master.pid master=""
    [ -f "$pidfile" ] && master=$(tr -d ' \n' < "$pidfile")
    postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
    if [ -n "$master" ]; then
        for _ in $(seq 1 40); do kill -0 "$master" 2>/dev/null || break; sleep 0.25; done
        if kill -0 "$master" 2>/dev/null; then
            postfix -c "$PF_CONF" abort >/dev/null 2>&1 || kill -KILL "$master" 2>/dev/null || true
        fi
    fi
    PF_CONF=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$CHILD_PID" ] && kill -0 "$CHILD_PID" 2>/dev/null; then
        kill -TERM "$CHILD_PID" 2>/dev/null || true
        wait "$CHILD_PID" 2>/dev/null || true
    fi
    stop_veil
    stop_postfix
    for pid in "${SINK_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "$WATCHDOG_PID" ]; then
        kill -TERM "$WATCHDOG_PID" 2>/dev/null || true
        wait "$WATCHDOG_PID" 2>/dev/null || true
    fi
    if [ "$LOAD_KEEP" = 1 ] || [ "$rc" != 0 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    log "finished in $(( $(date +%s) - T_START )) s (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# the whole run is bounded: the watchdog sends us SIGTERM, the trap stops everything
# (its sleep must die with it, or it would hold our stdout open for an hour)
(
    trap 'kill "$s" 2>/dev/null; exit 0' TERM
    sleep "$LOAD_MAX_SECONDS" </dev/null >/dev/null 2>&1 &
    s=$!
    wait "$s" || exit 0
    echo "[watchdog] LOAD_MAX_SECONDS=$LOAD_MAX_SECONDS reached: stopping" >&2
    kill -TERM $$
) &
WATCHDOG_PID=$!

# runs a foreground helper so that a signal reaches the trap at once (bash runs traps only between commands)
run_child() {
    "$@" &
    CHILD_PID=$!
    local rc=0
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=""
    return "$rc"
}

# ------------------------------------------------------------------------------------------------ start

read -r VEIL_SMTP VEIL_ADMIN VEIL_APP PF_SMTP SINK_VEIL SINK_PF PSEUDO_SMTP PSEUDO_ADMIN PSEUDO_APP \
    <<<"$($TOOL ports 9)"
log "work dir $WORK; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "ports: Veil smtp $VEIL_SMTP admin $VEIL_ADMIN; veil-pseudo smtp $PSEUDO_SMTP admin $PSEUDO_ADMIN;" \
    "Postfix smtpd $PF_SMTP; sinks $SINK_VEIL (both Veils) $SINK_PF (Postfix)"

start_sink() { # port outfile
    nice -n -5 /usr/sbin/smtp-sink -c -u nobody -m 1000 "127.0.0.1:$1" 1024 > "$2" 2> "$2.err" &
    SINK_PIDS+=($!)
    $TOOL wait-smtp "$1" 10 "$!" || die "smtp-sink on $1 did not start: $(cat "$2.err")"
}
start_sink "$SINK_VEIL" "$WORK/sink-veil.out"
start_sink "$SINK_PF" "$WORK/sink-postfix.out"

want() { case " $LOAD_SYSTEMS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want_veil() { want veil || want veil-pseudo; }
if [ "$LOAD_MEMTEST" = 1 ] && ! want veil; then LOAD_MEMTEST=0; fi
if want veil-pseudo && ! want veil; then die "veil-pseudo is measured against veil: add veil to LOAD_SYSTEMS"; fi

start_veil() { # name smtp-port admin-port app-port pid-variable
    local name=$1 smtp=$2 admin=$3 app=$4 pidvar=$5 d=$WORK/$1 rules pipeline arc=""
    mkdir -p "$d"
    cp "$LOAD_VEIL_JAR" "$d/veil.jar"   # someone may rebuild the jar while we run
    if [ "$name" = veil ]; then
        # encryption alone
        rules="  - name: encrypt
    match:
      recipient: example.com
    encrypt:
      format: smime
      to: [recipient, escrow]"
        pipeline="[reject, skip-encrypted, pseudonymise, encrypt, pass, relay]"
    else
        # the same encryption, with correspondent pseudonymisation, and an ARC set over what is relayed
        rules="  - name: pseudonymise
    match:
      recipient: example.com
      direction: inbound
    encrypt:
      format: smime
      to: [recipient, escrow]
    pseudonymise:
      alias-domain: alias.example.net
      display-name: \"Correspondent {token}\""
        pipeline="[reject, skip-encrypted, pseudonymise, encrypt, pass, arc-seal, relay]"
        arc="arc: {domain: example.com, selector: veil}"
    fi
    cat > "$d/policy.yml" <<EOF
version: 1
organisation: Veil Load Test
domains: [example.com]
keys:
  escrow: true
rules:
$rules
EOF
    cat > "$d/config.yml" <<EOF
dataDir: $d/data
policyFile: $d/policy.yml
smtp:
  bindHost: 127.0.0.1
  port: $smtp
  maxConnections: 200
  maxMessageSize: 35MiB
upstream:
  mode: smtp
  host: 127.0.0.1
  port: $SINK_VEIL
  tls: none
outbound:
  port: 0
queue:
  workers: ${LOAD_VEIL_WORKERS:-32}
  pipeline: $pipeline
$arc
server:
  applicationConnectors:
    - type: http
      bindHost: 127.0.0.1
      port: $app
  adminConnectors:
    - type: http
      bindHost: 127.0.0.1
      port: $admin
EOF
    local profile=""
    [ "$LOAD_VEIL_PROFILE" = 1 ] && profile="-XX:StartFlightRecording=filename=$d/veil.jfr,settings=${LOAD_VEIL_JFC:-profile}"
    # shellcheck disable=SC2086
    java -Xmx"$LOAD_VEIL_HEAP" $profile -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$d" \
        -Xlog:gc:file="$d/gc.log" $LOAD_VEIL_JAVA_OPTS \
        -jar "$d/veil.jar" server "$d/config.yml" > "$d/veil.log" 2>&1 &
    local pid=$!
    printf -v "$pidvar" '%s' "$pid"
    log "$name starting (pid $pid, -Xmx$LOAD_VEIL_HEAP, jar $(stat -c '%y' "$LOAD_VEIL_JAR" | cut -d. -f1))"
    if ! $TOOL wait-smtp "$smtp" 180 "$pid"; then
        tail -40 "$d/veil.log" >&2 || true
        die "$name did not start"
    fi
    log "$name is up"
}

start_postfix() {
    local d=$WORK/postfix
    mkdir -p "$d/conf" "$d/queue" "$d/data"
    cp /etc/postfix/main.cf /etc/postfix/master.cf "$d/conf/"
    chown postfix:postfix "$d/data"
    local pc="postconf -c $d/conf"
    # a plain relay: everything the system main.cf says, except where it must differ to run privately
    $pc -e "queue_directory=$d/queue" "data_directory=$d/data" \
        "inet_interfaces=127.0.0.1" "inet_protocols=ipv4" "myhostname=postfix-load.localdomain" \
        "mydestination=" "alias_maps=" "alias_database=" "local_recipient_maps=" \
        "relay_domains=example.com" "relayhost=[127.0.0.1]:$SINK_PF" "mynetworks=127.0.0.0/8" \
        "smtp_tls_security_level=none" "smtpd_tls_security_level=none" \
        "maillog_file=$d/maillog" "maillog_file_prefixes=$d" "syslog_name=postfix-load" \
        "message_size_limit=36700160"
    $pc -F '*/*/chroot = n'          # no chroot jail to populate
    $pc -M# smtp/inet                # not port 25: our own port on loopback
    $pc -Me "127.0.0.1:$PF_SMTP/inet=127.0.0.1:$PF_SMTP inet n - n - - smtpd"
    postfix -c "$d/conf" check || die "postfix check failed"
    PF_CONF=$d/conf
    postfix -c "$d/conf" start || { cat "$d/maillog" >&2 || true; die "Postfix did not start"; }
    local master
    for _ in $(seq 1 40); do [ -s "$d/queue/pid/master.pid" ] && break; sleep 0.25; done
    master=$(tr -d ' \n' < "$d/queue/pid/master.pid")
    PF_MASTER=$master
    $TOOL wait-smtp "$PF_SMTP" 30 "$master" || die "Postfix smtpd on $PF_SMTP does not answer"
    log "Postfix $(postconf -h mail_version) is up (master pid $master, config $d/conf)"
}

want veil && start_veil veil "$VEIL_SMTP" "$VEIL_ADMIN" "$VEIL_APP" VEIL_PID
want veil-pseudo && start_veil veil-pseudo "$PSEUDO_SMTP" "$PSEUDO_ADMIN" "$PSEUDO_APP" PSEUDO_PID
want postfix && start_postfix

# ------------------------------------------------------------------------------------------------ cells

REUSE=()
[ "$LOAD_REUSE_CONNECTIONS" = 1 ] && REUSE=(--persistent)

cell() { # system size sessions count tag [out [turn]]
    local system=$1 size=$2 sessions=$3 count=$4 tag=$5 out=${6:-$RESULTS} turn=${7:-1}
    local port sink rcpt=$RCPT extra=()
    if [ "$system" = veil ]; then
        port=$VEIL_SMTP; sink=$WORK/sink-veil.out
        extra=(--admin-port "$VEIL_ADMIN" --token-file "$WORK/veil/data/admin.token" --cpu-pid "$VEIL_PID")
    elif [ "$system" = veil-pseudo ]; then
        port=$PSEUDO_SMTP; sink=$WORK/sink-veil.out
        extra=(--admin-port "$PSEUDO_ADMIN" --token-file "$WORK/veil-pseudo/data/admin.token" --cpu-pid "$PSEUDO_PID")
    else
        port=$PF_SMTP; sink=$WORK/sink-postfix.out
        extra=(--cpu-pid "$PF_MASTER")
    fi
    run_child $TOOL cell --system "$system" --port "$port" --size "$size" --sessions "$sessions" \
        --count "$count" --sender "load-$tag@partner.example" --probe-sender "probe-$tag@partner.example" \
        --rcpt "$rcpt" --sink-out "$sink" --timeout "$LOAD_CELL_TIMEOUT" "${REUSE[@]}" "${extra[@]}" --turn "$turn" --out "$out"
}

warm() { # system
    log "warming up $1: 3 messages$([ "$1" != postfix ] && echo " (the first makes Veil issue the recipient's certificate)"), then $LOAD_WARMUP"
    cell "$1" 5120 1 3 "warm1-$1" "$WORK/warmup.jsonl" || log "warm-up of $1 did not finish cleanly"
    [ "$LOAD_WARMUP" -gt 0 ] || return 0
    local round=1
    while :; do
        cell "$1" 5120 10 "$LOAD_WARMUP" "warm2-$1-$round" "$WORK/warmup.jsonl" || log "warm-up of $1 did not finish cleanly"
        [ "$1" = postfix ] && return 0
        # a JVM compiles its hot code into machine code over the first few thousand messages (HotSpot promotes a
        # method after thousands of calls, one C2 thread on 2 cores): measure the gateway as it runs, not as it starts
        local share quiet
        read -r share quiet < <(tail -1 "$WORK/warmup.jsonl" | python3 -c 'import json,sys
r = json.load(sys.stdin); share = round(r.get("jit_ms_per_msg", 0) / max(r.get("cpu_ms_per_msg") or 1, 0.01), 3)
print(share, "yes" if share <= float(sys.argv[1]) else "no")' "$LOAD_JIT_QUIET")
        if [ "$quiet" = yes ]; then
            log "$1 warmed up: JIT compilation was $share of its CPU in round $round"
            return 0
        fi
        if [ "$round" -ge "$LOAD_WARMUP_ROUNDS" ]; then
            log "$1 still compiling after $round warm-up rounds (JIT $share of its CPU); measuring anyway"
            return 0
        fi
        round=$((round + 1))
    done
}

for system in $LOAD_SYSTEMS; do warm "$system"; done

log "measuring: sizes [$LOAD_SIZES] x sessions [$LOAD_SESSIONS] x systems [$LOAD_SYSTEMS] x $LOAD_REPEAT turns," \
    "LOAD_SCALE=$LOAD_SCALE"
REVERSED=$(tr ' ' '\n' <<<"$LOAD_SYSTEMS" | grep . | tac | tr '\n' ' ')
for size in $LOAD_SIZES; do
    for sessions in $LOAD_SESSIONS; do
        count=$(count_for "$size" "$sessions")
        for turn in $(seq 1 "$LOAD_REPEAT"); do
            # one cell's throughput moves by up to a third from one measurement to the next (the JIT, the machine):
            # systems take turns, and every other turn goes the other way round, so that drift hits them alike
            order=$LOAD_SYSTEMS
            [ $((turn % 2)) = 0 ] && order=$REVERSED
            for system in $order; do
                sleep 1
                cell "$system" "$size" "$sessions" "$count" "$system-$size-$sessions-$turn" "$RESULTS" "$turn" \
                    || log "$system $size x$sessions (turn $turn) did not finish cleanly"
            done
        done
    done
done

# ------------------------------------------------------------------------------------------------ memory

MEM_RESULT="not run"
if [ "$LOAD_MEMTEST" = 1 ]; then
    log "memory: $LOAD_MEMTEST_COUNT concurrent messages of $LOAD_MEMTEST_SIZE bytes into Veil (-Xmx$LOAD_VEIL_HEAP)"
    if run_child $TOOL memtest --system veil --port "$VEIL_SMTP" --size "$LOAD_MEMTEST_SIZE" \
        --sessions "$LOAD_MEMTEST_COUNT" --count "$LOAD_MEMTEST_COUNT" --sender "memtest@partner.example" \
        --rcpt "$RCPT" --sink-out "$WORK/sink-veil.out" --timeout 600 --stall 120 \
        --admin-port "$VEIL_ADMIN" --token-file "$WORK/veil/data/admin.token" --out "$WORK/memtest.json"; then
        MEM_RESULT=PASS
    else
        MEM_RESULT=FAIL
    fi
    if ! kill -0 "$VEIL_PID" 2>/dev/null; then MEM_RESULT="FAIL (Veil died)"; fi
    if grep -q "OutOfMemoryError" "$WORK/veil/veil.log"; then MEM_RESULT="$MEM_RESULT, OutOfMemoryError in Veil's log"; fi
fi

# ------------------------------------------------------------------------------------------------ collect

VEIL_E2E=""
if want_veil; then
    stop_veil
    # Veil's spool table has received_at (just before the 250) and updated_at (relayed) for every message
    if java -cp "$WORK/veil/veil.jar" org.h2.tools.Shell -url "jdbc:h2:file:$WORK/veil/data/db/veil" \
        -user veil -password "" \
        -sql "CALL CSVWRITE('$WORK/veil-spool.csv', 'SELECT sender, state, received_at, updated_at FROM spool')" \
        > "$WORK/h2.out" 2>&1; then
        $TOOL veil-e2e "$WORK/veil-spool.csv" > "$WORK/veil-e2e.json" && VEIL_E2E=$WORK/veil-e2e.json
    else
        log "could not read Veil's spool table: $(tail -3 "$WORK/h2.out")"
    fi
fi
PF_E2E=""
if want postfix; then
    stop_postfix
    $TOOL postfix-e2e "$WORK/postfix/maillog" > "$WORK/postfix-e2e.json" && PF_E2E=$WORK/postfix-e2e.json
fi

echo
echo "==================================================================================================="
echo " Veil load harness: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, LOAD_SCALE=$LOAD_SCALE, Veil -Xmx$LOAD_VEIL_HEAP" \
     "workers ${LOAD_VEIL_WORKERS:-32}, connections: $([ "$LOAD_REUSE_CONNECTIONS" = 1 ] && echo reused || echo one per message)"
echo "==================================================================================================="
$TOOL table "$RESULTS" "$VEIL_E2E" "$PF_E2E"
echo
if want_veil; then
    echo "Memory (${LOAD_MEMTEST_COUNT} x ${LOAD_MEMTEST_SIZE} bytes concurrently, -Xmx$LOAD_VEIL_HEAP): $MEM_RESULT"
    if [ -s "$WORK/veil/gc.log" ]; then
        gcs=$(grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' "$WORK/veil/gc.log" || true)
        echo "  Veil's heap over the whole run (gc.log): largest before a GC $(sed -E 's/M->.*//' <<<"$gcs" \
            | sort -n | tail -1) MB, largest after a GC $(sed -E 's/.*->([0-9]+)M.*/\1/' <<<"$gcs" | sort -n | tail -1) MB"
    fi
    for name in veil veil-pseudo; do
        if [ "$LOAD_VEIL_PROFILE" = 1 ] && [ -s "$WORK/$name/veil.jfr" ]; then
            echo
            echo "$name profile (JFR, whole run; $WORK/$name/veil.jfr):"
            $TOOL jfr-summary "$WORK/$name/veil.jfr" || echo "  (jfr print failed: is the JDK's jfr tool installed?)"
        fi
    done
    echo
    for name in veil veil-pseudo; do
        [ -s "$WORK/$name/veil.log" ] || continue
        echo "$name's log: $(grep -c '^ERROR' "$WORK/$name/veil.log" || true) ERROR, $(grep -c '^WARN' "$WORK/$name/veil.log" || true) WARN lines"
        grep -E '^(ERROR|WARN)|OutOfMemoryError' "$WORK/$name/veil.log" | sed -E 's/^(\w+) +\[[^]]*\] /\1 /' \
            | cut -c1-220 | sort | uniq -c | sort -rn | head -12 || true
    done
fi
exit 0
}
