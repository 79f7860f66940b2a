-- Shared by the wrk scripts of bench/run.sh (each loads it with dofile):
--   * every response that is not 2xx counts as bad: wrk itself counts only statuses >= 400,
--     so a 3xx would otherwise pass unnoticed; run.sh fails a run that has any;
--   * at the end, one machine-readable line that run.sh parses:
--       BENCH {"requests":…,"duration_us":…,"non2xx":…,"p99_us":…,…}
-- A script may set `accept(status, body)` to be stricter about what a good answer is.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

bad = 0 -- per wrk thread: each thread runs its own Lua state

function response(status, headers, body)
    if status < 200 or status > 299 or (accept and not accept(status, body)) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local e, n = summary.errors, 0
    for _, t in ipairs(threads) do
        n = n + t:get("bad")
    end
    io.write(string.format(
        'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"bad_responses":%d,"status_errors":%d,' ..
        '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
        '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
        summary.requests, summary.duration, summary.bytes, n, e.status,
        e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

-- The value of an Authorization: Basic header for "user:password".
function basic_auth(credentials)
    local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    local out = {}
    for i = 1, #credentials, 3 do
        local a, b, c = credentials:byte(i, i + 2)
        local v = a * 65536 + (b or 0) * 256 + (c or 0)
        for j = 3, 0, -1 do
            local k = math.floor(v / 64 ^ j) % 64
            out[#out + 1] = chars:sub(k + 1, k + 1)
        end
        if not b then
            out[#out], out[#out - 1] = "=", "="
        elseif not c then
            out[#out] = "="
        end
    end
    return "Basic " .. table.concat(out)
end

-- A required environment variable.
function need_env(name)
    local v = os.getenv(name)
    if not v or v == "" then
        error(name .. " is not set (see the comment at the top of the script)")
    end
    return v
end
