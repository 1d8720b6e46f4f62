-- The request mix of bench/load.py: every kind of view of bench/loadapp in turn.
--
-- Each request is one of a cycle of eleven (GET text from a def and an async def
-- view, GET from a def view holding a SQLite connection in g, GET JSON, POST JSON, a urlencoded form to a def and an async def view
-- carrying the session cookie of the last answer that set one, a 4 KiB
-- multipart upload to a def and an async def view, a three-chunk stream from
-- a sync and an async generator); every Nth request (N is the first script
-- argument, 0 for never) is instead a 600 KiB upload, which spools to a
-- temporary file, to each upload route in turn. Every answer is expected to be
-- 200; done() prints one JSON line with wrk's totals, the answers by status
-- class and the highest session count seen (above 1 only if the cookie made
-- the round trip).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local BOUNDARY = "erlen-load-boundary-7f3a"

local function multipart(note, size, fill)
  return "--" .. BOUNDARY .. "\r\n" ..
    'Content-Disposition: form-data; name="note"\r\n\r\n' .. note .. "\r\n" ..
    "--" .. BOUNDARY .. "\r\n" ..
    'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n' ..
    "Content-Type: application/octet-stream\r\n\r\n" ..
    string.rep(fill, size) .. "\r\n" ..
    "--" .. BOUNDARY .. "--\r\n"
end

local MULTIPART = { ["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY }
local FORM_BODY = "name=Ada+Lovelace&email=ada%40example.com"

function init(args)
  big_every = tonumber(args[1] or "50") or 50
  s2xx, s3xx, s4xx, s5xx, sother = 0, 0, 0, 0, 0
  session_max = 0
  cookie = nil
  n = 0
  cycle = 0
  big = 0
  local small = multipart("small", 4096, "s")
  local large = multipart("large", 600 * 1024, "L")
  fixed = {
    wrk.format("GET", "/"),
    wrk.format("GET", "/async"),
    wrk.format("GET", "/db"),
    wrk.format("GET", "/user/42"),
    wrk.format("POST", "/json", { ["Content-Type"] = "application/json" },
      '{"name": "load", "values": [1, 2, 3, 4]}'),
    "form /form",
    "form /form-async",
    wrk.format("POST", "/upload", MULTIPART, small),
    wrk.format("POST", "/upload-async", MULTIPART, small),
    wrk.format("GET", "/stream/sync?chunks=3&size=64"),
    wrk.format("GET", "/stream/async?chunks=3&size=64"),
  }
  bigs = {
    wrk.format("POST", "/upload", MULTIPART, large),
    wrk.format("POST", "/upload-async", MULTIPART, large),
    wrk.format("POST", "/upload-streamed", MULTIPART, large),
  }
end

function request()
  n = n + 1
  if big_every > 0 and n % big_every == 0 then
    big = big + 1
    return bigs[(big - 1) % #bigs + 1]
  end
  cycle = cycle + 1
  local item = fixed[(cycle - 1) % #fixed + 1]
  if item:sub(1, 5) == "form " then
    local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
    if cookie then
      headers["Cookie"] = cookie
    end
    return wrk.format("POST", item:sub(6), headers, FORM_BODY)
  end
  return item
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status >= 300 and status < 400 then
    s3xx = s3xx + 1
  elseif status >= 400 and status < 500 then
    s4xx = s4xx + 1
  elseif status >= 500 and status < 600 then
    s5xx = s5xx + 1
  else
    sother = sother + 1
  end
  local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if set_cookie then
    cookie = set_cookie:match("^([^;]+)")
    local count = tonumber(body:match("count=(%d+)") or "0")
    if count > session_max then
      session_max = count
    end
  end
end

function done(summary, latency, requests)
  local totals = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, sother = 0, big = 0 }
  local best = 0
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    best = math.max(best, thread:get("session_max") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'wrk-json {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, "other": %d, ' ..
    '"big_uploads": %d, "session_max": %d, ' ..
    '"latency_p50_us": %d, "latency_p99_us": %d, "latency_max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    totals.s2xx, totals.s3xx, totals.s4xx, totals.s5xx, totals.sother,
    totals.big, best,
    latency:percentile(50), latency:percentile(99), latency.max))
end
