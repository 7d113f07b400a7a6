-- wrk script for benchmarks/clicks_sync.py: POST /api/clicks as many players at once.
-- Args after `--`: <players file> <clicks per sync> <wrk threads>.
-- Players file: one line per player, "<seq to start after>\t<Authorization header value>".
-- Each wrk thread takes every n-th player and sends their batches round-robin with seq + 1,
-- so no player has two batches in flight (a thread holds far more players than connections).

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local path, clicks, wrk_threads = args[1], tonumber(args[2]), tonumber(args[3])
  players = {}
  local line_number = 0
  for line in io.lines(path) do
    if line_number % wrk_threads == thread_index then
      local seq, authorization = line:match("^(%d+)\t(.+)$")
      table.insert(players, {
        seq = tonumber(seq),
        headers = {["Authorization"] = authorization, ["Content-Type"] = "application/json"},
      })
    end
    line_number = line_number + 1
  end
  body_tail = ',"count":' .. clicks .. '}'
  cursor = 0
  statuses = {}
  -- wrk calls request() once on thread 0 to check the script and never sends that request;
  -- that call must not use up a seq, or the player would skip one (and the checks would see a
  -- batch applied without its clicks).
  verifying = thread_index == 0
end

function request()
  local next_cursor = cursor % #players + 1
  local player = players[next_cursor]
  local body = '{"seq":' .. (player.seq + 1) .. body_tail
  if verifying then
    verifying = false
  else
    cursor = next_cursor
    player.seq = player.seq + 1
  end
  return wrk.format("POST", "/api/clicks", player.headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  io.write(string.format("RESULT requests=%d\n", summary.requests))
  io.write(string.format("RESULT duration_us=%d\n", summary.duration))
  for _, p in ipairs({50, 90, 95, 99, 99.9}) do
    io.write(string.format("RESULT p%s_us=%d\n", p, latency:percentile(p)))
  end
  io.write(string.format("RESULT max_us=%d\n", latency.max))
  for status, count in pairs(totals) do
    io.write(string.format("RESULT status_%d=%d\n", status, count))
  end
  local errors = summary.errors
  io.write(string.format("RESULT socket_errors=%d\n",
    errors.connect + errors.read + errors.write + errors.timeout))
end
