-- wrk script for bench/load-runner.ts: every request takes the next line of a pool file, so each
-- v2 envelope is sent once (replay protection, spec §3.1 window). A line is a body, or a path, a
-- tab and a body (a mix of routes).
-- With T wrk threads, thread k keeps lines k+1, k+1+T, ... so no line is sent twice.
-- args: "pool=FILE", "path=/default/path", "threads=T" (wrk -t), then header lines "Name: value".
-- The environment variable BENCH_WRK_RATE (requests per second of each wrk thread) turns on
-- pacing, see delay().
-- No response() hook: wrk then skips handing each response's headers and body to Lua (costly
-- for the operator's ~1.2 KB answers), and it counts non-2xx statuses itself (errors.status).
local paths, bodies, n, path, headers = {}, {}, 0, "/", {}
local thread_count, started = 1, 0

-- Runs in wrk's main Lua state for each thread before that thread starts: hands it its index.
function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
end

function init(args)
  local pool
  for i = 1, #args do
    local key, value = args[i]:match("^(%a+)=(.*)$")
    if key == "pool" then pool = value
    elseif key == "path" then path = value
    elseif key == "threads" then thread_count = tonumber(value)
    else
      local name, v = args[i]:match("^([^:]+):%s*(.*)$")
      headers[name] = v
    end
  end
  local k = 0
  for line in io.lines(pool) do
    if k % thread_count == (thread_index or 0) then
      n = n + 1
      local p, b = line:match("^(/[^\t]*)\t(.*)$")
      paths[n] = p or path
      bodies[n] = b or line
    end
    k = k + 1
  end
  wrk.method = "POST"
end

local i = 0
function request()
  i = i % n + 1
  return wrk.format("POST", paths[i], headers, bodies[i])
end

-- Open-loop pacing (wrk2 is not packaged): with a rate, each request waits for the next slot of
-- a per-thread schedule, one slot every 1000 / rate ms on the monotonic clock (LuaJIT FFI). A
-- slot missed because every connection was busy is sent at once; more than 100 ms behind, the
-- schedule restarts from now instead of bursting. The rate held is what wrk reports as sent.
-- delay() is defined only then: wrk puts every request of a script that has one through a timer.
local rate = tonumber(os.getenv("BENCH_WRK_RATE") or "")
if rate then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]]
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local next_slot
  function delay()
    local now = now_ms()
    if next_slot == nil or next_slot < now - 100 then next_slot = now end
    local wait = next_slot - now
    next_slot = next_slot + 1000 / rate
    return wait
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
