-- fenced(lease_key, fence): true when a leader's write carries a fencing token that is not
-- the live lease's ('' = not fenced).
local function fenced(lease_key, fence)
  if fence == '' then return false end
  return redis.call('HGET', lease_key, 'token') ~= fence
end
