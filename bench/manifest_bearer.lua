-- The manifest benchmark (bench/manifest.lua) with a registry token:
--   BENCH_TOKEN=<token from /service/token> wrk … -s bench/manifest_bearer.lua URL
-- sends "Authorization: Bearer <token>" with every request.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "manifest.lua")

wrk.headers["Authorization"] = "Bearer " .. need_env("BENCH_TOKEN")
