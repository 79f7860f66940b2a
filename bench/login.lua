-- wrk script of the login burst (the load of bench/run.sh's section 8, not a figure of its own):
-- every request carries the Basic credentials of the next of BENCH_USERS users,
-- BENCH_PREFIX-1 .. BENCH_PREFIX-<BENCH_USERS>, all with the password BENCH_PASSWORD:
--   BENCH_PREFIX=login BENCH_USERS=256 BENCH_PASSWORD=… wrk -t1 -c16 … -s bench/login.lua URL
-- Haven (URL = its /service/token?…) keeps a successful Basic check for 60 s, so only a user's
-- first login in that time is a full argon2id check: with more users than requests, every one
-- is.  The BENCH line counts the requests; run.sh compares that with BENCH_USERS.  Run it with
-- one wrk thread (-t1): the users are counted in that thread's Lua state.
-- Any answer that is not 2xx is bad (bench/wrk_common.lua).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

wrk.method = "GET"
local prefix = need_env("BENCH_PREFIX")
local users = tonumber(need_env("BENCH_USERS"))
local password = need_env("BENCH_PASSWORD")
local n = 0

function request()
    n = n + 1
    wrk.headers["Authorization"] = basic_auth(prefix .. "-" .. ((n - 1) % users + 1) .. ":" ..
                                              password)
    return wrk.format()
end
