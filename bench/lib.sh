# Helpers of the benchmarks that run one havend of their own (bench/scale.sh, bench/gc.sh),
# sourced after they set ROOT, PY, WORK and die; URL and HAVEN_CMD before the calls that use
# them.  havend logs to $WORK/havend.log.
# shellcheck shell=bash

# The command as a shell line, with the scratch dir shown as $WORK, the havend under test as
# $URL and the checkout as `.`.
show() {
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,?\&-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    out=${out% }
    # shellcheck disable=SC2016 # a literal $WORK and $URL are the point
    out=${out//"$WORK"/'$WORK'}
    # shellcheck disable=SC2016
    out=${out//"$URL"/'$URL'}
    printf '%s' "${out//"$ROOT"/.}"
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_haven: HAVEN_CMD in the background, until it answers $URL/v2/; sets HAVEN_PID.
start_haven() {
    local i
    "${HAVEN_CMD[@]}" >>"$WORK/havend.log" 2>&1 &
    HAVEN_PID=$!
    for ((i = 0; i < 300; i++)); do
        kill -0 "$HAVEN_PID" 2>/dev/null || die "havend exited at start: $(tail -20 "$WORK/havend.log")"
        curl -s -o /dev/null --max-time 1 "$URL/v2/" && return 0
        sleep 0.1
    done
    die "havend did not answer $URL/v2/ within 30 s: $(tail -20 "$WORK/havend.log")"
}

stop_haven() {
    kill -TERM "$HAVEN_PID"
    wait "$HAVEN_PID" || die "havend exited with status $? on SIGTERM: $(tail -20 "$WORK/havend.log")"
    HAVEN_PID=""
}
