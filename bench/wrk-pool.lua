-- wrk script for bench/load-runner.ts: every request takes the next body of a pool file (one
-- body per line), so each v2 envelope is sent once (replay protection, spec §3.1 window).
-- args: pool file, path, then header lines "Name: value".
-- No response() hook: wrk then skips handing each response's headers and body to Lua (costly
-- for the operator's ~1.2 KB answers), and it counts non-2xx statuses itself (errors.status).
local bodies, n, path, headers = {}, 0, "/", {}

function init(args)
  for line in io.lines(args[1]) do
    n = n + 1
    bodies[n] = line
  end
  path = args[2]
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  wrk.method = "POST"
end

local i = 0
function request()
  i = i % n + 1
  return wrk.format("POST", path, headers, bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
