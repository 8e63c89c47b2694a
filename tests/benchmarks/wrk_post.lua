-- POST one body (file $WRK_BODY_FILE, type $WRK_CONTENT_TYPE) with extra headers ($WRK_HEADERS_FILE: name and
-- value on alternate lines, e.g. the nginx ingress's ssl-client-cert / ssl-client-verify); print a JSON summary.
local file = assert(io.open(os.getenv("WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE")
wrk.headers["SOAPAction"] = '""'
local headers_file = os.getenv("WRK_HEADERS_FILE")
if headers_file then
  local lines = assert(io.open(headers_file, "r"))
  while true do
    local name, value = lines:read("*l"), lines:read("*l")
    if not name or not value then break end
    wrk.headers[name] = value
  end
  lines:close()
end

-- $WRK_DELAY_MS: each connection waits that long after each answer (a steady rate, about connections x 1000 /
-- (delay + latency) requests/s, instead of as many as the server can take)
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
