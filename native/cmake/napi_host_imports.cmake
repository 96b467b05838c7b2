# N-API for a Windows addon built with mingw (zig): bind every napi_* function to the process that
# loads the .node, whatever its executable is called (node.exe for the engine host, Code.exe or
# another Electron app, a node embedded as libnode.dll). Why not an import library for node.exe:
# with one, Windows resolves the imports by DLL name and, inside Code.exe, would look for a node.exe
# on disk (or fail); node-gyp avoids that with a delay-load hook, which needs linker support that
# zig's lld (MinGW mode) and llvm-dlltool 16 lack. Instead, as napi-rs does on Windows:
#   - node_api.h with BUILDING_NODE_EXTENSION declares the functions __declspec(dllimport), so
#     every call goes through a pointer named __imp_<function> (what an import library provides);
#   - a generated C file defines those pointers itself, one per function in node-api-headers'
#     node_api.def, and fills them from the host process when the DLL loads (a constructor, run
#     under the loader lock, where GetModuleHandle/GetProcAddress are allowed);
#   - a function the host lacks (a newer N-API than the host's Node) points at a stub that returns
#     napi_generic_failure, so only an addon that calls it sees an error.
# docs/platforms.md explains the choice.
set(TANDEM_NAPI_DEF "${CMAKE_CURRENT_LIST_DIR}/../../node_modules/node-api-headers/def/node_api.def"
    CACHE FILEPATH "node-api-headers' list of N-API functions (def/node_api.def)")

function(tandem_napi_host_imports target)
  if(NOT EXISTS "${TANDEM_NAPI_DEF}")
    message(FATAL_ERROR "${TANDEM_NAPI_DEF} not found: run `npm ci` (node-api-headers comes with cmake-js)")
  endif()
  file(STRINGS "${TANDEM_NAPI_DEF}" def_lines)
  set(slots "")
  set(table "")
  set(count 0)
  foreach(line IN LISTS def_lines)
    string(STRIP "${line}" name)
    if(name MATCHES "^(napi|node_api)_[A-Za-z0-9_]+$")
      string(APPEND slots "void *__imp_${name} = (void *)tandem_napi_unavailable;\n")
      string(APPEND table "  {\"${name}\", &__imp_${name}},\n")
      math(EXPR count "${count} + 1")
    endif()
  endforeach()
  if(count LESS 100)
    message(FATAL_ERROR "${TANDEM_NAPI_DEF}: only ${count} N-API functions found; is it node-api-headers' def file?")
  endif()
  set(TANDEM_NAPI_SLOTS "${slots}")
  set(TANDEM_NAPI_TABLE "${table}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/napi_host_imports.c")
  configure_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/napi_host_imports.c.in" "${out}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${TANDEM_NAPI_DEF}")
  target_sources(${target} PRIVATE "${out}")
  # node_api.h declares the functions dllimport only for addons (else dllexport, as inside Node)
  target_compile_definitions(${target} PRIVATE BUILDING_NODE_EXTENSION)
endfunction()
