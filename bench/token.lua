-- wrk script of the token benchmark: GET /service/token, as docker does after a Bearer
-- challenge.  The URL carries the query:
--   [BENCH_USER=user:password] wrk … -s bench/token.lua \
--       'URL/service/token?service=harbor-registry&scope=repository:library/bench:pull'
-- With BENCH_USER, every request sends it as Basic credentials; without, it is anonymous.
-- A good answer is a 200 whose body has a token (bench/wrk_common.lua fails anything else).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")

wrk.method = "GET"
local user = os.getenv("BENCH_USER")
if user and user ~= "" then
    wrk.headers["Authorization"] = basic_auth(user)
end

function accept(status, body)
    return body:find('"token":"', 1, true) ~= nil
end
