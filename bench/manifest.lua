-- wrk script of the manifest benchmark: GET a manifest by tag asking for the OCI media type,
-- and print one machine-readable line that bench/run.sh parses.
--   wrk -t2 -c32 -d15s --latency -s bench/manifest.lua URL/v2/library/bench/manifests/latest
-- Responses that are not 2xx/3xx are counted in "non2xx": a run that has any is a failed run.

wrk.method = "GET"
wrk.headers["Accept"] = "application/vnd.oci.image.manifest.v1+json"

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,' ..
        '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
        '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
        summary.requests, summary.duration, summary.bytes, e.status,
        e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
