// ScriptPrelude: the Lua code every fresh interpreter runs before any script.
//
// Three pieces whose visible behaviour is Redis 4.0's: the message handler that
// prefixes an error with the script's source and line (for an error raised by a
// C function such as redis.call, the line of the Lua code that called it), the
// comparison used to sort a reply holding false (as an empty string), and the
// guard on _G that refuses to create or read unknown globals outside the main
// chunk, with Redis's wording. The guard goes last: it removes `debug`.
// Its error messages name the chunk "@enable_strict_lua" and the line of the
// error() call, as Redis's do (lines 8 and 15), so the two calls sit there.

enum ScriptPrelude {
    /// __redis__err__handler (a global name scripts can see in Redis too). An error inside it
    /// (a non-string error value) names the chunk "@err_handler_def", its argument `err` and
    /// line 8, as Redis's does.
    static let errorHandler = """
    local info = debug.getinfo
    function __redis__err__handler(err)
      local where = info(2, 'nSl')
      if where and where.what == 'C' then where = info(3, 'nSl') end
      if not where then
        return err
      end
      return where.source .. ':' .. where.currentline .. ': ' .. err
    end
    """

    /// __redis__compare_helper, which sorts a reply holding false (chunk "@cmp_func_def", the
    /// comparison on line 4).
    static let compareHelper = """
    function __redis__compare_helper(a, b)
      if a == false then a = '' end
      if b == false then b = '' end
      return a < b
    end
    """

    /// Protects the globals table; run last. Keep the two error() calls on lines 8 and 15.
    static let globalsGuard = """
    local info = debug.getinfo
    local guard = {}
    local function kind() if info(3) then return info(3, 'S').what end end
    setmetatable(_G, guard)
    guard.__newindex = function(t, name, value)
      local k = kind()
      if k and k ~= 'main' and k ~= 'C' then
        error("Script attempted to create global variable '" .. tostring(name) .. "'", 2)
      end
      rawset(t, name, value)
    end
    guard.__index = function(t, name)
      local k = kind()
      if k and k ~= 'C' then
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
      end
      return rawget(t, name)
    end
    debug = nil
    """
}
