-- POST /form with the urlencoded body of the "form" case, then report as report.lua.
wrk.method = "POST"
wrk.body = "name=Ada+Lovelace&email=ada%40example.com&age=36"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
