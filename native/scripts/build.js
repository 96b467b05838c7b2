#!/usr/bin/env node
// Builds the native addon (native/build/Release/tandem.node) with cmake-js.
//   node native/scripts/build.js [--backend cpu|cuda|vulkan|openvino|hexagon|metal[,…]] [--backend-dl]
//                                [--debug] [--out DIR]
// --backend picks the ggml backends besides the CPU (docs/backends.md). The default (cpu) is one
// self-contained static .node. Several backends (e.g. --backend cuda,vulkan) or --backend-dl build
// ggml with GGML_BACKEND_DL: each backend becomes a library beside the .node that is loaded at
// start only where its library (and driver) exists, so one package can carry them all.
// The SDK/toolchain each backend needs is checked before anything is built or written.
// --out builds into another folder than native/build (e.g. to work on the engine while other
// processes use the built addon; load it with TANDEM_ADDON=DIR/Release/tandem.node).
// llama.cpp is fetched first unless LLAMA_CPP_DIR points at a checkout. ccache is used when it
// is installed, which makes rebuilds of llama.cpp take seconds instead of minutes.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

const USAGE = `usage: npm run build:native -- [--backend cpu|cuda|vulkan|openvino|hexagon|metal[,…]] [--backend-dl] [--debug] [--out DIR]
  --backend B[,B…]  ggml backends besides the CPU (default cpu); docs/backends.md says what each needs
  --backend-dl      build each backend as a library loaded at start where it can run (implied by several backends)
  --debug           debug build
  --out DIR         build folder (default native/build); load that addon with TANDEM_ADDON=DIR/Release/tandem.node`;
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--backend' || args[i] === '--out') {
    if (args[i + 1] === undefined || args[i + 1].startsWith('--')) {
      console.error(`[build] ${args[i]} needs a value\n${USAGE}`);
      process.exit(2);
    }
    i++;
  } else if (args[i] !== '--backend-dl' && args[i] !== '--debug') {
    console.error(`[build] unknown option ${args[i]}\n${USAGE}`);
    process.exit(2);
  }
}

/** Finds an executable on PATH (or at one of `extra` paths). */
function which(name, extra = []) {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const candidate of extra) if (candidate && fs.existsSync(candidate)) return candidate;
  for (const dir of dirs) for (const ext of exts) {
    const p = path.join(dir, name + ext);
    if (fs.existsSync(p)) return p;
  }
  return null;
}
const envDir = (name) => (process.env[name] && fs.existsSync(process.env[name]) ? process.env[name] : null);

// Each backend: CMake options, and a check that returns what is missing (null when all is there).
const BACKENDS = {
  cpu: { cmake: [], check: () => null },
  cuda: {
    cmake: ['GGML_CUDA=ON'],
    check: () => {
      const exe = process.platform === 'win32' ? 'nvcc.exe' : 'nvcc';
      const install = 'Install the NVIDIA CUDA Toolkit 12.x or 13.x (https://developer.nvidia.com/cuda-downloads) and put its bin/ on PATH.';
      // An explicit CUDA_PATH / CUDA_HOME is the toolkit to use (CMake's FindCUDAToolkit reads them too).
      const named = ['CUDA_PATH', 'CUDA_HOME'].find((v) => process.env[v]);
      if (named) {
        const nvcc = path.join(process.env[named], 'bin', exe);
        return fs.existsSync(nvcc) ? null : `the CUDA toolkit (nvcc) was not found: ${named}=${process.env[named]} has no bin/${exe}. ${install}`;
      }
      return which('nvcc', ['/usr/local/cuda/bin/nvcc']) ? null
        : `the CUDA toolkit (nvcc) was not found on PATH, in $CUDA_PATH/$CUDA_HOME or /usr/local/cuda. ${install}`;
    },
  },
  vulkan: {
    cmake: ['GGML_VULKAN=ON'],
    check: () => {
      const sdk = envDir('VULKAN_SDK');
      const missing = [];
      if (!which('glslc', [sdk && path.join(sdk, 'bin', process.platform === 'win32' ? 'glslc.exe' : 'glslc')])) missing.push('the glslc shader compiler');
      const headers = [sdk && path.join(sdk, 'include', 'vulkan', 'vulkan.h'), '/usr/include/vulkan/vulkan.h', '/usr/local/include/vulkan/vulkan.h'];
      if (!headers.some((h) => h && fs.existsSync(h))) missing.push('the Vulkan headers (vulkan/vulkan.h)');
      return missing.length ? `${missing.join(' and ')} not found. Install the Vulkan SDK (https://vulkan.lunarg.com) and set VULKAN_SDK, ` +
        'or on Debian/Ubuntu: apt install libvulkan-dev glslc spirv-headers.' : null;
    },
  },
  openvino: {
    cmake: ['GGML_OPENVINO=ON'],
    check: () => {
      const dir = envDir('OpenVINO_DIR') || (envDir('INTEL_OPENVINO_DIR') && path.join(process.env.INTEL_OPENVINO_DIR, 'runtime', 'cmake'));
      const config = dir && ['OpenVINOConfig.cmake', 'openvino-config.cmake'].some((f) => fs.existsSync(path.join(dir, f)));
      return config ? null : 'OpenVINO was not found (no OpenVINOConfig.cmake via $OpenVINO_DIR or $INTEL_OPENVINO_DIR). Install the ' +
        'OpenVINO 2026.x runtime archive (https://docs.openvino.ai) and run its setupvars script in this shell ' +
        '(source /opt/intel/openvino/setupvars.sh; on Windows C:\\Intel\\openvino\\setupvars.bat); it also needs an OpenCL SDK.';
    },
  },
  hexagon: {
    cmake: ['GGML_HEXAGON=ON'],
    check: () => {
      const sdk = envDir('HEXAGON_SDK_ROOT');
      if (!sdk) {
        return 'the Qualcomm Hexagon SDK was not found: set HEXAGON_SDK_ROOT to a Hexagon SDK 6.x install (see docs/backends.md, ' +
          'Windows on Snapdragon: llama.cpp scripts/snapdragon/setup-sdk.py --hexagon --opencl).';
      }
      const tools = envDir('HEXAGON_TOOLS_ROOT') || fs.existsSync(path.join(sdk, 'hexagon_sdk.json'));
      if (!tools) return `HEXAGON_SDK_ROOT=${sdk} has no hexagon_sdk.json and HEXAGON_TOOLS_ROOT is not set: is it a complete Hexagon SDK 6.x?`;
      if (os.arch() !== 'arm64' && !process.env.CMAKE_TOOLCHAIN_FILE) {
        return `the Hexagon backend runs on Snapdragon (arm64) hosts; this is ${os.arch()}. Build on the Snapdragon machine or ` +
          'set CMAKE_TOOLCHAIN_FILE to an arm64 cross toolchain (Android NDK).';
      }
      return null;
    },
  },
  metal: {
    cmake: ['GGML_METAL=ON', 'GGML_METAL_EMBED_LIBRARY=ON'],
    check: () => (process.platform === 'darwin' ? null : `Metal builds only on macOS (Apple silicon); this is ${process.platform}.`),
  },
};

const requested = String(opt('backend', 'cpu')).split(',').map((b) => b.trim().toLowerCase()).filter(Boolean);
for (const b of requested) {
  if (!(b in BACKENDS)) {
    console.error(`[build] unknown --backend ${b}; choose from: ${Object.keys(BACKENDS).join(', ')} (comma-separated for several)`);
    process.exit(2);
  }
}
const missing = requested.map((b) => [b, BACKENDS[b].check()]).filter(([, why]) => why);
if (missing.length) {
  for (const [b, why] of missing) console.error(`[build] --backend ${b}: ${why}`);
  console.error('[build] nothing was built. `--backend cpu` (the default) needs only a C++ compiler and CMake.');
  process.exit(3);
}
const accelerators = requested.filter((b) => b !== 'cpu');
// Several backends in one package: each as its own loadable library (GGML_BACKEND_DL).
const backendDl = args.includes('--backend-dl') || accelerators.length > 1;

execFileSync(process.execPath, [path.join(__dirname, 'fetch-llama.js')], { stdio: 'inherit' });

const out = opt('out', 'native/build');
// A build folder remembers its backend options in CMakeCache.txt; switching variants in one folder
// starts its CMake cache afresh (objects stay, ccache keeps rebuilds fast) so no option lingers.
const variant = JSON.stringify({ backends: accelerators, backendDl });
const variantFile = path.join(root, out, 'tandem-variant.json');
const previous = fs.existsSync(variantFile) ? fs.readFileSync(variantFile, 'utf8') : JSON.stringify({ backends: [], backendDl: false });
if (previous !== variant) fs.rmSync(path.join(root, out, 'CMakeCache.txt'), { force: true });

const hasCcache = spawnSync('ccache', ['--version'], { stdio: 'ignore' }).status === 0;
const cmakeArgs = [
  'cmake-js', 'build', '-d', 'native', '-O', out,
  '-p', String(os.availableParallelism ? os.availableParallelism() : os.cpus().length),
  '--CDTANDEM_USE_CCACHE=' + (hasCcache ? 'ON' : 'OFF'),
  ...accelerators.flatMap((b) => BACKENDS[b].cmake.map((o) => `--CD${o}`)),
];
if (backendDl) cmakeArgs.push('--CDTANDEM_BACKEND_DL=ON');
if (process.env.CMAKE_TOOLCHAIN_FILE) cmakeArgs.push(`--CDCMAKE_TOOLCHAIN_FILE=${process.env.CMAKE_TOOLCHAIN_FILE}`);
if (args.includes('--debug')) cmakeArgs.push('--debug');
if (process.env.LLAMA_CPP_DIR) cmakeArgs.push(`--CDLLAMA_CPP_DIR=${process.env.LLAMA_CPP_DIR}`);
const t0 = Date.now();
// Paths under the repo are hashed relative to it, so every clone (CI's included) shares one cache.
const env = { ...process.env, CCACHE_BASEDIR: process.env.CCACHE_BASEDIR || root };
const r = spawnSync('npx', cmakeArgs, { cwd: root, stdio: 'inherit', env });
if (r.status !== 0) process.exit(r.status ?? 1);
fs.writeFileSync(variantFile, variant);
console.error(`[build] native addon (${requested.join(', ')}${backendDl ? ', backend libraries loaded at run time' : ''}) built in ` +
  `${((Date.now() - t0) / 1000).toFixed(1)} s (ccache ${hasCcache ? 'on' : 'off'})`);
