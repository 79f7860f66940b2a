-- The manifest benchmark (bench/manifest.lua) with HTTP Basic credentials:
--   BENCH_USER=user:password wrk … -s bench/manifest_basic.lua URL
-- sends "Authorization: Basic <base64 of user:password>" with every request.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "manifest.lua")

wrk.headers["Authorization"] = basic_auth(need_env("BENCH_USER"))
