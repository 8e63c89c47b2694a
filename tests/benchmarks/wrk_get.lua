-- GET as several users: each wrk thread takes one line of $WRK_USERS_FILE ("cookie<TAB>path"): its own session
-- cookie and its own path. Prints a JSON summary with p50/p95/p99.
local users = {}
for line in io.lines(os.getenv("WRK_USERS_FILE")) do
  local cookie, path = line:match("^([^\t]*)\t(.*)$")
  users[#users + 1] = {cookie, path}
end
local next_user = 0

function setup(thread)
  next_user = next_user + 1
  local user = users[(next_user - 1) % #users + 1]
  thread:set("cookie", user[1])
  thread:set("path", user[2])
end

function request()
  return wrk.format("GET", path, {["Cookie"] = cookie})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
