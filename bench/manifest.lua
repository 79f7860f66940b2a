-- wrk script of the manifest benchmark: GET a manifest by tag asking for the OCI media type.
--   wrk -t2 -c32 -d15s --latency -s bench/manifest.lua URL/v2/library/bench/manifests/latest
-- Any answer that is not 2xx makes bench/run.sh fail the run (bench/wrk_common.lua).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

wrk.method = "GET"
wrk.headers["Accept"] = "application/vnd.oci.image.manifest.v1+json"
