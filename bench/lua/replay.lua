-- Replays the requests the harness prepared, in order, on one wrk thread.
-- Arguments: <requests file> <wrap|once>. The file holds three lines per request:
--   METHOD TARGET / headers "Name: value" joined by \31 / body on one line (may be empty).
-- "once": every request is sent at most once (creations, moves); when they run out the last
-- one is repeated and the run is marked exhausted, so the harness can refuse its figures.
-- done() prints one line "BENCH_JSON {...}" with counts, statuses and latency percentiles (us).

local reqs = {}
local n = 0
local i = 0
local wrap = true
exhausted = false
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrap = args[2] ~= "once"
  local lines = {}
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  for k = 1, #lines - 2, 3 do
    local method, target = lines[k]:match("^(%S+) (%S+)$")
    local headers = {}
    for h in string.gmatch(lines[k + 1], "[^\31]+") do
      local name, value = h:match("^([^:]+): (.*)$")
      headers[name] = value
    end
    local body = lines[k + 2]
    if body == "" then
      body = nil
    end
    n = n + 1
    reqs[n] = wrk.format(method, target, headers, body)
  end
end

function request()
  i = i + 1
  if i > n then
    if wrap then
      i = 1
    else
      exhausted = true
      i = n
    end
  end
  return reqs[i]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  local ex = false
  local counts = {}
  for _, t in ipairs(threads) do
    if t:get("exhausted") then
      ex = true
    end
    local st = t:get("statuses") or {}
    for code, count in pairs(st) do
      counts[code] = (counts[code] or 0) + count
    end
  end
  for code, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%d": %d', code, count)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "statuses": {%s}, "exhausted": %s, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ", "), tostring(ex),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
