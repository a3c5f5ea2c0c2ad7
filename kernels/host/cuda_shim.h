// Host emulation shim: makes the CUDA C of kernels/prelude.cuh and kernels/*.cu compile as host
// C++17 (g++ / clang++), for fluxion_kernels::host (feature `host-emulation`), which prepends this
// file to a module's source, appends one launcher per kernel and runs every CUDA thread of a
// launch on the CPU.
//
// What is exact and what is not:
// - Built-in indices (threadIdx, blockIdx, blockDim, gridDim) are thread_local variables that the
//   launcher sets before calling the kernel for each (block, thread). fx_emu_launch runs the
//   threads one after the other: exact for kernels whose threads do not communicate.
// - Kernels that do (reduce.cu: __shared__ memory, __syncthreads, __shfl_down_sync) go through
//   fx_emu_launch_cooperative: blocks run one after the other, and the threads of a block are
//   fibers that run in turn up to their next barrier. __shared__ variables are statics (one
//   block lives at a time; cooperative launches are serialised by a mutex), __syncthreads is a
//   barrier of the block's threads, and a warp shuffle is a store to a per-thread slot, a barrier
//   of the warp's 32 threads, a load of the source lane's slot and a second barrier. A kernel
//   that calls __syncthreads or a shuffle from divergent code (undefined behaviour in CUDA)
//   aborts the process with a deadlock message.
// - The _rn arithmetic intrinsics are plain IEEE operations. Compile with -ffp-contract=off and
//   without -ffast-math; x86-64 uses SSE2 scalar arithmetic, so there is no excess precision and
//   every operation is rounded once, to nearest even, as on the GPU. Subnormals are kept (NVRTC's
//   default is -ftz=false).
// - Conversions with a rounding mode are exact emulations: round-toward-zero integer -> float is
//   done with integer arithmetic, float -> integer truncates and saturates with NaN -> 0 (PTX
//   `cvt.rzi`: out-of-range values clamp to the destination range, NaN converts to 0).
// - Math library functions (expf, logf, erff, tanhf, powf, ...) come from the host libm (glibc),
//   not CUDA's libdevice: emulated transcendentals test a kernel's logic, not CUDA's last-ulp
//   rounding. sincospi/sincospif are computed in long double after an exact argument reduction,
//   so they are correctly rounded in practice (exact 0 and +-1 at multiples of 1/2, as CUDA).
// - Atomics are plain read-modify-writes, for the sequential launcher only (no kernel that uses
//   them cooperates): they apply in thread order, block by block, thread by thread. Hardware
//   atom.add.f32 may flush subnormals; this does not.

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static

struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};

static thread_local uint3 threadIdx;
static thread_local uint3 blockIdx;
static thread_local dim3 blockDim;
static thread_local dim3 gridDim;

struct __attribute__((aligned(16))) float4 {
    float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// ---- bit casts ----
template <class To, class From>
inline To fx_emu_bit_cast(From v) {
    static_assert(sizeof(To) == sizeof(From), "bit cast between types of different sizes");
    To out;
    memcpy(&out, &v, sizeof(To));
    return out;
}
inline unsigned int __float_as_uint(float v) { return fx_emu_bit_cast<unsigned int>(v); }
inline float __uint_as_float(unsigned int v) { return fx_emu_bit_cast<float>(v); }
inline float __int_as_float(int v) { return fx_emu_bit_cast<float>(v); }
inline long long __double_as_longlong(double v) { return fx_emu_bit_cast<long long>(v); }
inline double __longlong_as_double(long long v) { return fx_emu_bit_cast<double>(v); }

// ---- correctly rounded arithmetic: one IEEE operation each ----
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return sqrt(a); }

// ---- conversions ----
// Round to nearest even is the host's default rounding mode (cvtsd2ss, cvtsi2ss, cvtsi2sd).
inline float __double2float_rn(double v) { return (float)v; }
inline float __ll2float_rn(long long v) { return (float)v; }
inline double __ll2double_rn(long long v) { return (double)v; }

// Float -> integer, truncated: saturating, NaN -> 0 (PTX cvt.rzi). `lo` and `hi` are the
// destination's range; -lo and hi + 1 are powers of two, exact in F.
template <class I, class F>
inline I fx_emu_trunc_sat(F v, I lo, I hi) {
    if (v != v) {
        return 0;
    }
    if (v <= (F)lo) {
        return lo;
    }
    if (v >= (F)hi) {
        // (F)hi rounds up to hi + 1 when hi is not exact in F (i64 in f32 or f64): every v >= it
        // is out of range; when hi is exact (u32 in f64), v == hi converts to hi either way.
        return hi;
    }
    return (I)v;
}
inline long long __double2ll_rz(double v) {
    return fx_emu_trunc_sat<long long>(v, (long long)(-0x7fffffffffffffffLL - 1), 0x7fffffffffffffffLL);
}
inline long long __float2ll_rz(float v) {
    return fx_emu_trunc_sat<long long>(v, (long long)(-0x7fffffffffffffffLL - 1), 0x7fffffffffffffffLL);
}
inline unsigned int __double2uint_rz(double v) { return fx_emu_trunc_sat<unsigned int>(v, 0u, 0xffffffffu); }

// i64 -> f32 rounded toward zero: drop the magnitude's bits below the 24-bit significand, then
// convert exactly.
inline float __ll2float_rz(long long v) {
    const bool neg = v < 0;
    unsigned long long m = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
    if (m >= (1ull << 24)) {
        const int top = 63 - __builtin_clzll(m);
        m &= ~((1ull << (top - 23)) - 1ull);
    }
    const float f = (float)m;
    return neg ? -f : f;
}

// ---- integer intrinsics ----
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * (unsigned long long)b) >> 32);
}

// ---- memory ----
template <class T>
inline T __ldg(const T* p) {
    return *p;
}
inline float atomicAdd(float* p, float v) {
    const float old = *p;
    *p = old + v;
    return old;
}
inline double atomicAdd(double* p, double v) {
    const double old = *p;
    *p = old + v;
    return old;
}
inline unsigned int atomicCAS(unsigned int* p, unsigned int compare, unsigned int val) {
    const unsigned int old = *p;
    if (old == compare) {
        *p = val;
    }
    return old;
}

// ---- math functions CUDA has and the host libm lacks ----
// sin(pi x) and cos(pi x): x = n/2 + r exactly (|r| <= 1/4), then long double sin/cos of pi r and
// the quadrant n mod 4. Exact zeros at multiples of 1/2 are +0 for cos, as CUDA's sincospi.
template <class F>
inline void fx_emu_sincospi(F x, F* s, F* c) {
    const long double twice = nearbyintl(2.0L * (long double)x);
    const long double r = (long double)x - twice / 2.0L;
    const long double t = 3.14159265358979323846264338327950288L * r;
    const long double sr = sinl(t);
    const long double cr = cosl(t);
    const long long q = isfinite(twice) ? (long long)fmodl(twice, 4.0L) : 0;
    long double sv, cv;
    switch ((q + 4) % 4) {
    case 0: sv = sr; cv = cr; break;
    case 1: sv = cr; cv = -sr; break;
    case 2: sv = -sr; cv = -cr; break;
    default: sv = -cr; cv = sr; break;
    }
    if (r == 0.0L && sv == 0.0L) {
        sv = signbit(x) ? -0.0L : 0.0L;  // sinpi(+-n) = +-0
    }
    *s = (F)sv;
    *c = (F)(cv + 0.0L);  // cospi never returns -0
}
inline void sincospif(float x, float* s, float* c) { fx_emu_sincospi(x, s, c); }
inline void sincospi(double x, double* s, double* c) { fx_emu_sincospi(x, s, c); }

// ---- launcher ----
// Unpacks `args` as cuLaunchKernel does (args[i] points at the i-th parameter's value) and runs
// every thread of the grid in order: block by block, thread by thread.
template <class... A, size_t... I>
inline void fx_emu_run(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<A>*>(args[I])...);
}
template <class... A>
inline void fx_emu_launch(void (*kernel)(A...), unsigned int grid, unsigned int block, void** args) {
    gridDim = dim3{grid, 1u, 1u};
    blockDim = dim3{block, 1u, 1u};
    for (unsigned int b = 0; b < grid; ++b) {
        for (unsigned int t = 0; t < block; ++t) {
            blockIdx = uint3{b, 0u, 0u};
            threadIdx = uint3{t, 0u, 0u};
            fx_emu_run(kernel, args, std::index_sequence_for<A...>{});
        }
    }
}
// The byte size of each kernel parameter, into sizes[0 .. min(count, cap)); returns the count.
template <class... A>
inline size_t fx_emu_signature(void (*)(A...), size_t* sizes, size_t cap) {
    const size_t all[] = {sizeof(A)..., 0};
    const size_t count = sizeof...(A);
    for (size_t i = 0; i < count && i < cap; ++i) {
        sizes[i] = all[i];
    }
    return count;
}

// ---- cooperative launcher ----
// The threads of a block are fibers (ucontext) on the calling OS thread, switched only where
// they wait: at a barrier. So a launch is deterministic and a barrier costs a few context
// switches, not OS scheduling.
struct fx_emu_fiber {
    ucontext_t context;
    std::unique_ptr<char[]> stack;
    bool done;
};

// State of the one cooperative launch in progress (fx_emu_cooperative_lock serialises them).
static std::mutex fx_emu_cooperative_lock;
static ucontext_t fx_emu_scheduler;
static fx_emu_fiber* fx_emu_running = nullptr;
static std::function<void()> fx_emu_thread_body;
static unsigned long long fx_emu_progress = 0;  // arrivals and exits, to detect a deadlock

// Back to the scheduler, which resumes the other threads of the block.
inline void fx_emu_yield() { swapcontext(&fx_emu_running->context, &fx_emu_scheduler); }

inline void fx_emu_fiber_main() {
    fx_emu_thread_body();
    fx_emu_running->done = true;
    ++fx_emu_progress;
}  // returns to uc_link, the scheduler

// A barrier of `count` threads: the last to arrive releases the others.
struct fx_emu_barrier {
    explicit fx_emu_barrier(unsigned int n) : count(n) {}
    void wait() {
        const unsigned long long generation = passed;
        ++fx_emu_progress;
        if (++waiting == count) {
            waiting = 0;
            ++passed;
            return;
        }
        while (passed == generation) {
            fx_emu_yield();
        }
    }
    const unsigned int count;
    unsigned int waiting = 0;
    unsigned long long passed = 0;
};

static fx_emu_barrier* fx_emu_block_barrier = nullptr;
static std::vector<std::unique_ptr<fx_emu_barrier>> fx_emu_warp_barriers;
static unsigned long long fx_emu_shuffle_slots[1024];

inline void __syncthreads() { fx_emu_block_barrier->wait(); }

// The value of lane (this lane + delta) of the warp, or this thread's own value when that lane
// is past the warp's end (CUDA's rule for width 32). Every lane of the warp must take part.
template <class T>
inline T __shfl_down_sync(unsigned int, T v, unsigned int delta) {
    static_assert(sizeof(T) <= sizeof(unsigned long long), "shuffle of a type wider than 8 bytes");
    const unsigned int t = threadIdx.x;
    fx_emu_barrier& warp = *fx_emu_warp_barriers[t >> 5];
    memcpy(&fx_emu_shuffle_slots[t], &v, sizeof(T));
    warp.wait();
    T r = v;
    if ((t & 31u) + delta < 32u) {
        memcpy(&r, &fx_emu_shuffle_slots[t + delta], sizeof(T));
    }
    warp.wait();
    return r;
}

// Runs the blocks one after the other and the threads of each block as fibers, round-robin
// between barriers (the host checks that `block` is a multiple of 32 and at most 1024). A block
// whose threads all wait at barriers that can never fill (a __syncthreads or shuffle in divergent
// code, undefined behaviour in CUDA) aborts the process with a message instead of hanging.
template <class... A>
inline void fx_emu_launch_cooperative(void (*kernel)(A...), unsigned int grid, unsigned int block, void** args) {
    const size_t stack_size = 256 * 1024;
    std::lock_guard<std::mutex> guard(fx_emu_cooperative_lock);
    fx_emu_barrier block_barrier(block);
    fx_emu_block_barrier = &block_barrier;
    fx_emu_warp_barriers.clear();
    for (unsigned int w = 0; w < block / 32u; ++w) {
        fx_emu_warp_barriers.emplace_back(new fx_emu_barrier(32u));
    }
    fx_emu_thread_body = [=] { fx_emu_run(kernel, args, std::index_sequence_for<A...>{}); };
    std::vector<fx_emu_fiber> fibers(block);
    for (fx_emu_fiber& f : fibers) {
        f.stack.reset(new char[stack_size]);
    }
    gridDim = dim3{grid, 1u, 1u};
    blockDim = dim3{block, 1u, 1u};
    for (unsigned int b = 0; b < grid; ++b) {
        blockIdx = uint3{b, 0u, 0u};
        for (fx_emu_fiber& f : fibers) {
            getcontext(&f.context);
            f.context.uc_stack.ss_sp = f.stack.get();
            f.context.uc_stack.ss_size = stack_size;
            f.context.uc_link = &fx_emu_scheduler;
            makecontext(&f.context, fx_emu_fiber_main, 0);
            f.done = false;
        }
        unsigned int remaining = block;
        while (remaining > 0) {
            const unsigned long long before = fx_emu_progress;
            for (unsigned int t = 0; t < block; ++t) {
                if (fibers[t].done) {
                    continue;
                }
                threadIdx = uint3{t, 0u, 0u};
                fx_emu_running = &fibers[t];
                swapcontext(&fx_emu_scheduler, &fibers[t].context);
                remaining -= fibers[t].done ? 1u : 0u;
            }
            if (remaining > 0 && fx_emu_progress == before) {
                fprintf(stderr, "fluxion host emulation: deadlock in block %u: %u threads wait at barriers "
                        "that cannot fill (__syncthreads or a shuffle in divergent code)\n", b, remaining);
                abort();
            }
        }
    }
    fx_emu_block_barrier = nullptr;
    fx_emu_running = nullptr;
}
