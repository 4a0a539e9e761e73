// Training kernels for tfjs's wasm backend, run natively with OpenBLAS on the wasm heap itself.
//
// Every function takes the wasm heap as a Float32Array (HEAPF32) plus byte offsets of the tensors inside it, so no
// data is copied between the wasm backend and this addon. Layout is NHWC for activations and [KH, KW, CI, CO] for
// filters (tfjs's). Convolutions are im2col + sgemm; depthwise convolutions are direct loops. Offsets and dims are
// checked against the heap before any work (see "Arguments and their bounds"): a bad one throws a RangeError.
//
// JS side: services/compute/kernels/native.ts. Built by native/build.mjs (links -lopenblas).
//
// build: -lopenblas -lm -pthread
// needs: cblas.h

#include <cblas.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <node_api.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 32

// ---- Arguments and their bounds ------------------------------------------------------------------------------------
// The offsets come from JS, so a bug there would otherwise write over the wasm heap (or the process) silently. Every
// entry point reads its arguments through read_args and then, before any work, checks each dimension (range, dims)
// and that each region it will read or write lies inside the heap (region), its size computed from the given dims in
// overflow-checked int64 (mul). The first failed check throws a RangeError that names the argument, and the entry
// point returns without touching memory.

// Dimensions, strides, dilations and pads are tfjs shapes (int32); beyond that the index arithmetic could overflow.
#define MAX_DIM INT32_MAX
// Integers a JS number holds exactly.
#define MAX_SAFE_INT 9007199254740991.0

typedef struct {
  napi_env env;
  const char* fn;            // the entry point, for messages
  const char* const* names;  // names of the numeric arguments a[i], for messages
  char* heap;
  int64_t heap_bytes;
  int64_t a[MAX_ARGS];
  int ok;                    // cleared by the first failed check, which has thrown
} args_t;

typedef napi_status (*thrower_t)(napi_env, const char*, const char*);

static void fail(args_t* A, thrower_t thrower, const char* fmt, ...) {
  if (!A->ok) return;
  char msg[256];
  int used = snprintf(msg, sizeof msg, "wasmconv.%s: ", A->fn);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + used, sizeof msg - (size_t)used, fmt, ap);
  va_end(ap);
  thrower(A->env, NULL, msg);
  A->ok = 0;
}

// A typed array argument of the given type: its data and length in elements.
static void typed_array(args_t* A, napi_value v, napi_typedarray_type want, const char* name, void** data,
                        size_t* length) {
  if (!A->ok) return;
  bool is = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t byte_offset;
  if (napi_is_typedarray(A->env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(A->env, v, &type, length, data, &ab, &byte_offset) != napi_ok || type != want) {
    fail(A, napi_throw_type_error, "%s must be a %s", name, want == napi_float64_array ? "Float64Array" : "Float32Array");
  }
}

// Reads the heap (a Float32Array: HEAPF32) from argv[0] and `want` integers into A->a from argv[first..]; argv gets
// every argument.
static int read_args(napi_env env, napi_callback_info info, args_t* A, size_t first, size_t want, napi_value* argv) {
  A->env = env;
  A->ok = 1;
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < first + want) {
    fail(A, napi_throw_type_error, "%zu arguments expected", first + want);
    return 0;
  }
  void* data = NULL;
  size_t length = 0;
  typed_array(A, argv[0], napi_float32_array, "heap", &data, &length);
  A->heap = (char*)data;
  A->heap_bytes = (int64_t)length * 4;
  for (size_t i = 0; i < want && A->ok; i++) {
    double v;
    if (napi_get_value_double(env, argv[first + i], &v) != napi_ok) {
      fail(A, napi_throw_type_error, "%s must be a number", A->names[i]);
    } else if (!(v == floor(v) && fabs(v) <= MAX_SAFE_INT)) {
      fail(A, napi_throw_range_error, "%s must be an integer (got %g)", A->names[i], v);
    } else {
      A->a[i] = (int64_t)v;
    }
  }
  return A->ok;
}

// a[i] for i in [from, from + count) each within [lo, hi].
static void range(args_t* A, size_t from, size_t count, int64_t lo, int64_t hi) {
  for (size_t i = from; i < from + count && A->ok; i++) {
    if (A->a[i] < lo || A->a[i] > hi)
      fail(A, napi_throw_range_error, "%s must be in [%lld, %lld] (got %lld)", A->names[i], (long long)lo,
           (long long)hi, (long long)A->a[i]);
  }
}

#define dims(A, from, count) range(A, from, count, 1, MAX_DIM)

// x * y for the size of `what` (both >= 0), or a RangeError when it overflows int64.
static int64_t mul(args_t* A, const char* what, int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_mul_overflow(x, y, &r)) {
    fail(A, napi_throw_range_error, "the size of %s overflows", what);
    return 0;
  }
  return r;
}

// The region of `floats` 4-byte elements at byte offset a[i] lies inside the heap (and is 4-byte aligned).
static void region(args_t* A, size_t i, int64_t floats) {
  if (!A->ok) return;
  const char* name = A->names[i];
  const int64_t off = A->a[i];
  const int64_t bytes = mul(A, name, floats, 4);
  if (!A->ok) return;
  if (off < 0) {
    fail(A, napi_throw_range_error, "%s: offset %lld is negative", name, (long long)off);
  } else if (off % 4 != 0) {
    fail(A, napi_throw_range_error, "%s: offset %lld is not a multiple of 4", name, (long long)off);
  } else if (off > A->heap_bytes || bytes > A->heap_bytes - off) {
    fail(A, napi_throw_range_error, "%s: bytes [%lld, %lld + %lld) lie outside the heap (%lld bytes)", name,
         (long long)off, (long long)off, (long long)bytes, (long long)A->heap_bytes);
  }
}

#define F(i) ((float*)(A.heap + A.a[i]))

// ---- A small persistent thread pool -------------------------------------------------------------------------------
// The convolutions split their work by images over `pool_threads` threads (the caller is thread 0), each calling a
// single-threaded sgemm. OpenBLAS's own threads are set to 1 while the pool has more than one thread: its workers
// busy-wait between calls and then compete on small machines with tfjs's wasm threads and with the JS thread (on 2
// cores that made 2-thread training slower than 1-thread), and its per-call split of small GEMMs scales poorly. The
// pool's workers sleep on a condition variable between calls. Work is split deterministically (fixed image ranges,
// partial filter gradients summed in thread order), so results do not depend on timing.

#define MAX_THREADS 64

typedef void (*task_fn)(void* ctx, int tid, int nt);

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_start = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static int pool_threads = 0;  // 0: not set yet (the number of online CPUs)
static int pool_workers = 0;  // started workers (threads 1..pool_workers)
static unsigned long pool_generation = 0;
static int pool_pending = 0;
static task_fn pool_fn = NULL;
static void* pool_ctx = NULL;
static int pool_nt = 1;
static unsigned long pool_born[MAX_THREADS];  // the generation current when worker tid was started

static void* pool_worker(void* arg) {
  const int tid = (int)(intptr_t)arg;
  pthread_mutex_lock(&pool_mu);
  unsigned long seen = pool_born[tid];
  for (;;) {
    while (pool_generation == seen) pthread_cond_wait(&pool_start, &pool_mu);
    seen = pool_generation;
    task_fn fn = pool_fn;
    void* ctx = pool_ctx;
    const int nt = pool_nt;
    pthread_mutex_unlock(&pool_mu);
    if (tid < nt) fn(ctx, tid, nt);
    pthread_mutex_lock(&pool_mu);
    if (--pool_pending == 0) pthread_cond_signal(&pool_done);
  }
  return NULL;
}

static int online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (int)n);
}

static int get_pool_threads(void) {
  if (pool_threads == 0) {
    pool_threads = online_cpus();
    if (pool_threads > 1) openblas_set_num_threads(1);
  }
  return pool_threads;
}

// Runs fn(ctx, tid, nt) for tid in [0, nt) with nt = min(pool threads, max_nt); returns nt.
static int pool_run(task_fn fn, void* ctx, int64_t max_nt) {
  int nt = get_pool_threads();
  if (max_nt < nt) nt = max_nt < 1 ? 1 : (int)max_nt;
  if (nt <= 1) {
    fn(ctx, 0, 1);
    return 1;
  }
  pthread_mutex_lock(&pool_mu);
  while (pool_workers < nt - 1) {
    pthread_t t;
    pool_born[pool_workers + 1] = pool_generation;
    if (pthread_create(&t, NULL, pool_worker, (void*)(intptr_t)(pool_workers + 1)) != 0) break;
    pthread_detach(t);
    pool_workers++;
  }
  if (nt > pool_workers + 1) nt = pool_workers + 1;
  pool_fn = fn;
  pool_ctx = ctx;
  pool_nt = nt;
  pool_pending = pool_workers;
  pool_generation++;
  pthread_cond_broadcast(&pool_start);
  pthread_mutex_unlock(&pool_mu);
  fn(ctx, 0, nt);
  pthread_mutex_lock(&pool_mu);
  while (pool_pending > 0) pthread_cond_wait(&pool_done, &pool_mu);
  pthread_mutex_unlock(&pool_mu);
  return nt;
}

// Per-thread scratch buffers (thread 0 is the JS thread).
static float* tscratch[MAX_THREADS];
static size_t tscratch_len[MAX_THREADS];

static float* thread_scratch(int tid, size_t n) {
  if (n > tscratch_len[tid]) {
    free(tscratch[tid]);
    tscratch[tid] = (float*)malloc(n * sizeof(float));
    tscratch_len[tid] = tscratch[tid] ? n : 0;
  }
  return tscratch[tid];
}

// Images [*n0, *n1) of thread tid out of nt.
static void split(int64_t n, int tid, int nt, int64_t* n0, int64_t* n1) {
  *n0 = n * tid / nt;
  *n1 = n * (tid + 1) / nt;
}

typedef struct {
  int64_t n, h, w, ci, kh, kw, co, oh, ow, sh, sw, dh, dw, pt, pl;
} conv_t;

static void conv_from(const int64_t* a, conv_t* c) {
  c->n = a[0]; c->h = a[1]; c->w = a[2]; c->ci = a[3]; c->kh = a[4]; c->kw = a[5]; c->co = a[6];
  c->oh = a[7]; c->ow = a[8]; c->sh = a[9]; c->sw = a[10]; c->dh = a[11]; c->dw = a[12]; c->pt = a[13];
  c->pl = a[14];
}

#define GEOMETRY "g.n", "g.h", "g.w", "g.ci", "g.kh", "g.kw", "g.co", "g.oh", "g.ow", "g.sh", "g.sw", "g.dh", "g.dw", "g.pt", "g.pl"

// The geometry at a[from..from + 15): every dimension, stride and dilation >= 1, pads >= 0.
static void conv_args(args_t* A, size_t from, conv_t* c) {
  dims(A, from, 13);
  range(A, from + 13, 2, 0, MAX_DIM);
  conv_from(A->a + from, c);
}

// d0 d1 d2 d3 elements of `what`.
static int64_t size4(args_t* A, const char* what, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
  return mul(A, what, mul(A, what, mul(A, what, d0, d1), d2), d3);
}

// The tensors of a convolution inside the heap: activations (x or dx) [n, h, w, ci] at a[act], outputs (y or dy)
// [n, oh, ow, out_channels] at a[out] and filters [kh, kw, ci, co] at a[filter]; -1 = not an argument.
static void conv_regions(args_t* A, const conv_t* c, int act, int out, int filter, int64_t out_channels) {
  if (act >= 0) region(A, (size_t)act, size4(A, A->names[act], c->n, c->h, c->w, c->ci));
  if (out >= 0) region(A, (size_t)out, size4(A, A->names[out], c->n, c->oh, c->ow, out_channels));
  if (filter >= 0) region(A, (size_t)filter, size4(A, A->names[filter], c->kh, c->kw, c->ci, c->co));
}

static int is_pointwise(const conv_t* c) {
  return c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->oh == c->h &&
         c->ow == c->w;
}

// Rows [r0, r1) of the im2col matrix (row = one output pixel, columns = KH*KW*CI).
static void im2col(const float* x, const conv_t* c, int64_t r0, int64_t r1, float* cols) {
  const int64_t kcols = c->kh * c->kw * c->ci, span = c->kw * c->ci;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / (c->oh * c->ow), rem = r % (c->oh * c->ow), oh = rem / c->ow, ow = rem % c->ow;
    float* dst = cols + (r - r0) * kcols;
    const int64_t iw0 = ow * c->sw - c->pl;
    const int contiguous = c->dw == 1 && iw0 >= 0 && iw0 + c->kw <= c->w;
    for (int64_t i = 0; i < c->kh; i++) {
      const int64_t ih = oh * c->sh + i * c->dh - c->pt;
      float* drow = dst + i * span;
      if (ih < 0 || ih >= c->h) {
        memset(drow, 0, (size_t)span * sizeof(float));
        continue;
      }
      const float* xrow = x + (n * c->h + ih) * c->w * c->ci;
      if (contiguous) {  // the kw input pixels of this filter row are adjacent in memory: one copy
        memcpy(drow, xrow + iw0 * c->ci, (size_t)span * sizeof(float));
        continue;
      }
      for (int64_t j = 0; j < c->kw; j++) {
        const int64_t iw = iw0 + j * c->dw;
        float* d = drow + j * c->ci;
        if (iw < 0 || iw >= c->w) {
          memset(d, 0, (size_t)c->ci * sizeof(float));
        } else {
          memcpy(d, xrow + iw * c->ci, (size_t)c->ci * sizeof(float));
        }
      }
    }
  }
}

static void col2im_add(const float* cols, const conv_t* c, int64_t r0, int64_t r1, float* dx) {
  const int64_t kcols = c->kh * c->kw * c->ci, span = c->kw * c->ci;
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / (c->oh * c->ow), rem = r % (c->oh * c->ow), oh = rem / c->ow, ow = rem % c->ow;
    const float* src = cols + (r - r0) * kcols;
    const int64_t iw0 = ow * c->sw - c->pl;
    const int contiguous = c->dw == 1 && iw0 >= 0 && iw0 + c->kw <= c->w;
    for (int64_t i = 0; i < c->kh; i++) {
      const int64_t ih = oh * c->sh + i * c->dh - c->pt;
      if (ih < 0 || ih >= c->h) continue;
      const float* restrict srow = src + i * span;
      float* restrict xrow = dx + (n * c->h + ih) * c->w * c->ci;
      if (contiguous) {
        float* restrict d = xrow + iw0 * c->ci;
        for (int64_t k = 0; k < span; k++) d[k] += srow[k];
        continue;
      }
      for (int64_t j = 0; j < c->kw; j++) {
        const int64_t iw = iw0 + j * c->dw;
        if (iw < 0 || iw >= c->w) continue;
        const float* restrict s = srow + j * c->ci;
        float* restrict d = xrow + iw * c->ci;
        for (int64_t k = 0; k < c->ci; k++) d[k] += s[k];
      }
    }
  }
}

// Rows per im2col chunk: about 512K floats (2 MB) of columns, so that they are still in cache for sgemm's packing
// (measured 15-20% faster than 16 MB chunks).
static int64_t chunk_rows(int64_t kcols, int64_t rows) {
  int64_t r = (int64_t)(1 << 19) / (kcols > 0 ? kcols : 1);
  if (r < 64) r = 64;
  return r < rows ? r : rows;
}

typedef struct {
  conv_t c;
  const float* x;   // conv: x; filter grad: x; input grad: dy
  const float* w;   // conv: w; filter grad: dy; input grad: w
  float* out;       // conv: y; filter grad: dw; input grad: dx
  const float* bias;
  int relu;
  int failed;       // a thread could not get its scratch memory
} conv_task;

static void conv2d_part(void* p, int tid, int nt) {
  conv_task* t = (conv_task*)p;
  const conv_t* c = &t->c;
  int64_t n0, n1;
  split(c->n, tid, nt, &n0, &n1);
  const int64_t per = c->oh * c->ow, kcols = c->kh * c->kw * c->ci;
  const int64_t rbeg = n0 * per, rend = n1 * per;
  float* y = t->out;
  if (rend <= rbeg) return;
  if (is_pointwise(c)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rend - rbeg, c->co, kcols, 1.f, t->x + rbeg * kcols, kcols,
                t->w, c->co, 0.f, y + rbeg * c->co, c->co);
  } else {
    const int64_t step = chunk_rows(kcols, rend - rbeg);
    float* cols = thread_scratch(tid, (size_t)(step * kcols));
    if (!cols) { t->failed = 1; return; }
    for (int64_t r0 = rbeg; r0 < rend; r0 += step) {
      const int64_t r1 = r0 + step < rend ? r0 + step : rend;
      im2col(t->x, c, r0, r1, cols);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, c->co, kcols, 1.f, cols, kcols, t->w, c->co, 0.f,
                  y + r0 * c->co, c->co);
    }
  }
  if (t->bias || t->relu) {
    const float* b = t->bias;
    const int relu = t->relu;
    for (int64_t r = rbeg; r < rend; r++) {
      float* yr = y + r * c->co;
      for (int64_t k = 0; k < c->co; k++) {
        float v = yr[k] + (b ? b[k] : 0.f);
        yr[k] = relu && v < 0.f ? 0.f : v;
      }
    }
  }
}

// Reads (heap, a0, a1, a2, geometry) into t (x, w, out = a0, a1, a2), checking a0..a2 in their roles (conv_regions;
// a depthwise convolution's outputs have ci * co channels).
static int conv_task_args(napi_env env, napi_callback_info info, args_t* A, conv_task* t, int act, int out,
                          int filter, int depthwise) {
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, A, 1, 18, argv)) return 0;
  conv_args(A, 3, &t->c);
  conv_regions(A, &t->c, act, out, filter, depthwise ? mul(A, A->names[out], t->c.ci, t->c.co) : t->c.co);
  if (!A->ok) return 0;
  t->x = (const float*)(A->heap + A->a[0]);
  t->w = (const float*)(A->heap + A->a[1]);
  t->out = (float*)(A->heap + A->a[2]);
  return 1;
}

// conv2d(heap, x, w, y, bias(-1 = none), act(0 linear, 1 relu), n,h,w,ci,kh,kw,co,oh,ow,sh,sw,dh,dw,pt,pl)
static const char* const CONV2D_ARGS[] = {"x", "w", "y", "bias", "relu", GEOMETRY};
static napi_value Conv2d(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "conv2d", .names = CONV2D_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 20, argv)) return NULL;
  conv_task t = {0};
  const conv_t* c = &t.c;
  conv_args(&A, 5, &t.c);
  range(&A, 4, 1, 0, 1);
  conv_regions(&A, c, 0, 2, 1, c->co);
  if (A.a[3] != -1) region(&A, 3, c->co);
  if (!A.ok) return NULL;
  t.x = F(0);
  t.w = F(1);
  t.out = F(2);
  t.bias = A.a[3] != -1 ? F(3) : NULL;
  t.relu = A.a[4] == 1;
  pool_run(conv2d_part, &t, t.c.n);
  if (t.failed) napi_throw_error(env, NULL, "wasmconv: out of memory");
  return NULL;
}

// Thread tid's partial dW over its images: into dw itself (thread 0) or its scratch after the im2col rows.
static void filter_grad_part(void* p, int tid, int nt) {
  conv_task* t = (conv_task*)p;
  const conv_t* c = &t->c;
  int64_t n0, n1;
  split(c->n, tid, nt, &n0, &n1);
  const int64_t per = c->oh * c->ow, kcols = c->kh * c->kw * c->ci, wsize = kcols * c->co;
  const int64_t rbeg = n0 * per, rend = n1 * per;
  const int pointwise = is_pointwise(c);
  const int64_t step = pointwise ? 0 : chunk_rows(kcols, rend - rbeg > 0 ? rend - rbeg : 1);
  float* buf = thread_scratch(tid, (size_t)(step * kcols + (tid > 0 ? wsize : 0)));
  if (!buf) { t->failed = 1; return; }
  float* dw = tid > 0 ? buf + step * kcols : t->out;
  if (rend <= rbeg) {
    memset(dw, 0, (size_t)wsize * sizeof(float));
    return;
  }
  if (pointwise) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kcols, c->co, rend - rbeg, 1.f, t->x + rbeg * kcols, kcols,
                t->w + rbeg * c->co, c->co, 0.f, dw, c->co);
    return;
  }
  for (int64_t r0 = rbeg; r0 < rend; r0 += step) {
    const int64_t r1 = r0 + step < rend ? r0 + step : rend;
    im2col(t->x, c, r0, r1, buf);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kcols, c->co, r1 - r0, 1.f, buf, kcols, t->w + r0 * c->co,
                c->co, r0 == rbeg ? 0.f : 1.f, dw, c->co);
  }
}

// conv2dFilterGrad(heap, x, dy, dw, n,h,w,ci,kh,kw,co,oh,ow,sh,sw,dh,dw,pt,pl): dW = im2col(x)^T dy.
static const char* const FILTER_GRAD_ARGS[] = {"x", "dy", "dw", GEOMETRY};
static napi_value Conv2dFilterGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "conv2dFilterGrad", .names = FILTER_GRAD_ARGS};
  conv_task t = {0};
  if (!conv_task_args(env, info, &A, &t, 0, 1, 2, 0)) return NULL;
  const int nt = pool_run(filter_grad_part, &t, t.c.n);
  if (t.failed) { napi_throw_error(env, NULL, "wasmconv: out of memory"); return NULL; }
  const int64_t kcols = t.c.kh * t.c.kw * t.c.ci, wsize = kcols * t.c.co;
  for (int tid = 1; tid < nt; tid++) {  // fixed order: deterministic sums
    int64_t n0, n1;
    split(t.c.n, tid, nt, &n0, &n1);
    const int64_t rows = (n1 - n0) * t.c.oh * t.c.ow;
    const int64_t step = is_pointwise(&t.c) ? 0 : chunk_rows(kcols, rows > 0 ? rows : 1);
    const float* restrict part = tscratch[tid] + step * kcols;
    float* restrict dw = t.out;
    for (int64_t i = 0; i < wsize; i++) dw[i] += part[i];
  }
  return NULL;
}

static void input_grad_part(void* p, int tid, int nt) {
  conv_task* t = (conv_task*)p;
  const conv_t* c = &t->c;
  int64_t n0, n1;
  split(c->n, tid, nt, &n0, &n1);
  const int64_t per = c->oh * c->ow, kcols = c->kh * c->kw * c->ci;
  const int64_t rbeg = n0 * per, rend = n1 * per;
  float* dx = t->out;
  if (rend <= rbeg) return;
  if (is_pointwise(c)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rend - rbeg, kcols, c->co, 1.f, t->x + rbeg * c->co, c->co,
                t->w, c->co, 0.f, dx + rbeg * kcols, kcols);
    return;
  }
  const int64_t img = c->h * c->w * c->ci;
  memset(dx + n0 * img, 0, (size_t)((n1 - n0) * img) * sizeof(float));
  const int64_t step = chunk_rows(kcols, rend - rbeg);
  float* cols = thread_scratch(tid, (size_t)(step * kcols));
  if (!cols) { t->failed = 1; return; }
  for (int64_t r0 = rbeg; r0 < rend; r0 += step) {
    const int64_t r1 = r0 + step < rend ? r0 + step : rend;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, kcols, c->co, 1.f, t->x + r0 * c->co, c->co, t->w,
                c->co, 0.f, cols, kcols);
    col2im_add(cols, c, r0, r1, dx);
  }
}

// conv2dInputGrad(heap, dy, w, dx, n,h,w,ci,kh,kw,co,oh,ow,sh,sw,dh,dw,pt,pl): dcols = dy W^T, dx = col2im(dcols).
// Each thread owns whole images of dx, so the col2im sums never race.
static const char* const INPUT_GRAD_ARGS[] = {"dy", "w", "dx", GEOMETRY};
static napi_value Conv2dInputGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "conv2dInputGrad", .names = INPUT_GRAD_ARGS};
  conv_task t = {0};
  if (!conv_task_args(env, info, &A, &t, 2, 0, 1, 0)) return NULL;
  pool_run(input_grad_part, &t, t.c.n);
  if (t.failed) napi_throw_error(env, NULL, "wasmconv: out of memory");
  return NULL;
}

// Depthwise: filter [KH, KW, C, M], output channel c*M + m; conv_t.ci = C, conv_t.co = M (channel multiplier).
// depthwiseFilterGrad(heap, x, dy, dw, n,h,w,C,kh,kw,M,oh,ow,sh,sw,dh,dw,pt,pl)
static napi_value DepthwiseFilterGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "depthwiseFilterGrad", .names = FILTER_GRAD_ARGS};
  conv_task t = {0};
  if (!conv_task_args(env, info, &A, &t, 0, 1, 2, 1)) return NULL;
  const conv_t c = t.c;
  const float* x = t.x;
  const float* dy = t.w;
  float* dw = t.out;
  const int64_t C = c.ci, M = c.co, CM = C * M;
  memset(dw, 0, (size_t)(c.kh * c.kw * CM) * sizeof(float));
  for (int64_t n = 0; n < c.n; n++)
    for (int64_t oh = 0; oh < c.oh; oh++)
      for (int64_t ow = 0; ow < c.ow; ow++) {
        const float* g = dy + ((n * c.oh + oh) * c.ow + ow) * CM;
        for (int64_t i = 0; i < c.kh; i++) {
          const int64_t ih = oh * c.sh + i * c.dh - c.pt;
          if (ih < 0 || ih >= c.h) continue;
          for (int64_t j = 0; j < c.kw; j++) {
            const int64_t iw = ow * c.sw + j * c.dw - c.pl;
            if (iw < 0 || iw >= c.w) continue;
            const float* xv = x + ((n * c.h + ih) * c.w + iw) * C;
            float* d = dw + (i * c.kw + j) * CM;
            if (M == 1) {
              for (int64_t k = 0; k < C; k++) d[k] += xv[k] * g[k];
            } else {
              for (int64_t k = 0; k < C; k++)
                for (int64_t m = 0; m < M; m++) d[k * M + m] += xv[k] * g[k * M + m];
            }
          }
        }
      }
  return NULL;
}

// depthwiseInputGrad(heap, dy, w, dx, n,h,w,C,kh,kw,M,oh,ow,sh,sw,dh,dw,pt,pl)
static napi_value DepthwiseInputGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "depthwiseInputGrad", .names = INPUT_GRAD_ARGS};
  conv_task t = {0};
  if (!conv_task_args(env, info, &A, &t, 2, 0, 1, 1)) return NULL;
  const conv_t c = t.c;
  const float* dy = t.x;
  const float* w = t.w;
  float* dx = t.out;
  const int64_t C = c.ci, M = c.co, CM = C * M;
  memset(dx, 0, (size_t)(c.n * c.h * c.w * C) * sizeof(float));
  for (int64_t n = 0; n < c.n; n++)
    for (int64_t oh = 0; oh < c.oh; oh++)
      for (int64_t ow = 0; ow < c.ow; ow++) {
        const float* g = dy + ((n * c.oh + oh) * c.ow + ow) * CM;
        for (int64_t i = 0; i < c.kh; i++) {
          const int64_t ih = oh * c.sh + i * c.dh - c.pt;
          if (ih < 0 || ih >= c.h) continue;
          for (int64_t j = 0; j < c.kw; j++) {
            const int64_t iw = ow * c.sw + j * c.dw - c.pl;
            if (iw < 0 || iw >= c.w) continue;
            float* d = dx + ((n * c.h + ih) * c.w + iw) * C;
            const float* f = w + (i * c.kw + j) * CM;
            if (M == 1) {
              for (int64_t k = 0; k < C; k++) d[k] += f[k] * g[k];
            } else {
              for (int64_t k = 0; k < C; k++) {
                float s = 0.f;
                for (int64_t m = 0; m < M; m++) s += f[k * M + m] * g[k * M + m];
                d[k] += s;
              }
            }
          }
        }
      }
  return NULL;
}

// matmul(heap, a, b, c, bias(-1), act(0|1), batchA, batchB, m, k, n, transA, transB): c[i] = op(a[i]) op(b[i]) (+bias).
// A batch of 1 broadcasts against the other.
static const char* const MATMUL_ARGS[] = {"a", "b", "c", "bias", "relu", "batchA", "batchB", "m", "k", "n",
                                           "transA", "transB"};
static napi_value Matmul(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "matmul", .names = MATMUL_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 12, argv)) return NULL;
  const int64_t* a = A.a;
  const int64_t ba = a[5], bb = a[6], m = a[7], k = a[8], n = a[9];
  const int64_t batch = ba > bb ? ba : bb;
  range(&A, 4, 1, 0, 1);
  dims(&A, 5, 5);
  range(&A, 10, 2, 0, 1);
  if (ba != bb && ba != 1 && bb != 1)
    fail(&A, napi_throw_range_error, "batchA (%lld) and batchB (%lld) must be equal or one of them 1", (long long)ba,
         (long long)bb);
  region(&A, 0, mul(&A, "a", mul(&A, "a", ba, m), k));
  region(&A, 1, mul(&A, "b", mul(&A, "b", bb, k), n));
  region(&A, 2, mul(&A, "c", mul(&A, "c", batch, m), n));
  if (a[3] != -1) region(&A, 3, n);
  if (!A.ok) return NULL;
  const float* Am = F(0);
  const float* B = F(1);
  float* Cm = F(2);
  const int ta = (int)a[10], tb = (int)a[11];
  for (int64_t i = 0; i < batch; i++) {
    const float* Ai = Am + (ba == 1 ? 0 : i) * m * k;
    const float* Bi = B + (bb == 1 ? 0 : i) * k * n;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, Ai,
                ta ? m : k, Bi, tb ? k : n, 0.f, Cm + i * m * n, n);
  }
  if (a[3] != -1 || a[4] == 1) {
    const float* bias = a[3] != -1 ? F(3) : NULL;
    const int relu = a[4] == 1;
    const int64_t rows = batch * m;
    for (int64_t r = 0; r < rows; r++) {
      float* cr = Cm + r * n;
      for (int64_t j = 0; j < n; j++) {
        float v = cr[j] + (bias ? bias[j] : 0.f);
        cr[j] = relu && v < 0.f ? 0.f : v;
      }
    }
  }
  return NULL;
}

// best = max(best, x) and idx = t where x > best (strict, so the first maximum wins), over n channels.
static inline void max_update(float* restrict best, float* restrict idx, const float* restrict x, float t, int64_t n) {
  int64_t k = 0;
#ifdef __SSE2__
  const __m128 tv = _mm_set1_ps(t);
  for (; k + 4 <= n; k += 4) {
    const __m128 xv = _mm_loadu_ps(x + k), bv = _mm_loadu_ps(best + k), iv = _mm_loadu_ps(idx + k);
    const __m128 gt = _mm_cmpgt_ps(xv, bv);
    _mm_storeu_ps(best + k, _mm_or_ps(_mm_and_ps(gt, xv), _mm_andnot_ps(gt, bv)));
    _mm_storeu_ps(idx + k, _mm_or_ps(_mm_and_ps(gt, tv), _mm_andnot_ps(gt, iv)));
  }
#endif
  for (; k < n; k++) {
    const int gt = x[k] > best[k];
    best[k] = gt ? x[k] : best[k];
    idx[k] = gt ? t : idx[k];
  }
}

// d = g where idx == t, else 0.
static inline void select_eq(float* restrict d, const float* restrict idx, const float* restrict g, float t,
                             int64_t n) {
  int64_t k = 0;
#ifdef __SSE2__
  const __m128 tv = _mm_set1_ps(t);
  for (; k + 4 <= n; k += 4)
    _mm_storeu_ps(d + k, _mm_and_ps(_mm_cmpeq_ps(_mm_loadu_ps(idx + k), tv), _mm_loadu_ps(g + k)));
#endif
  for (; k < n; k++) d[k] = idx[k] == t ? g[k] : 0.f;
}

// d += g where idx == t.
static inline void select_eq_add(float* restrict d, const float* restrict idx, const float* restrict g, float t,
                                 int64_t n) {
  int64_t k = 0;
#ifdef __SSE2__
  const __m128 tv = _mm_set1_ps(t);
  for (; k + 4 <= n; k += 4)
    _mm_storeu_ps(d + k, _mm_add_ps(_mm_loadu_ps(d + k),
                                    _mm_and_ps(_mm_cmpeq_ps(_mm_loadu_ps(idx + k), tv), _mm_loadu_ps(g + k))));
#endif
  for (; k < n; k++) d[k] += idx[k] == t ? g[k] : 0.f;
}

// Pool geometry reuses conv_t with ci = channels, co unused, dilation 1.
typedef struct {
  conv_t c;
  const float* x;
  const float* dy;
  float* dx;
  int failed;
} pool_grad_task;

static void max_pool_grad_part(void* p, int tid, int nt) {
  pool_grad_task* t = (pool_grad_task*)p;
  const conv_t c = t->c;
  const float* x = t->x;
  const float* dy = t->dy;
  float* dx = t->dx;
  int64_t n0, n1;
  split(c.n, tid, nt, &n0, &n1);
  if (n1 <= n0) return;
  const int64_t C = c.ci, img = c.h * c.w * C;
  float* const scratch2 = thread_scratch(tid, (size_t)(2 * C));
  if (!scratch2) { t->failed = 1; return; }
  float* restrict best = scratch2;
  float* restrict idx = scratch2 + C;  // window position (fast path) or pixel index of the maximum, as float: branchless selects
  if (c.sh == c.kh && c.sw == c.kw && c.pt == 0 && c.pl == 0 && c.oh * c.kh <= c.h && c.ow * c.kw <= c.w) {
    // Non-overlapping windows without padding (the usual 2x2 pool): every dx element is written exactly once.
    if (c.oh * c.kh != c.h || c.ow * c.kw != c.w) memset(dx + n0 * img, 0, (size_t)((n1 - n0) * img) * sizeof(float));
    for (int64_t n = n0; n < n1; n++)
      for (int64_t oh = 0; oh < c.oh; oh++)
        for (int64_t ow = 0; ow < c.ow; ow++) {
          const int64_t base = (n * c.h + oh * c.kh) * c.w + ow * c.kw;
          for (int64_t k = 0; k < C; k++) { best[k] = -INFINITY; idx[k] = -1.f; }
          for (int64_t i = 0; i < c.kh; i++)
            for (int64_t j = 0; j < c.kw; j++) {
              const float* restrict xv = x + (base + i * c.w + j) * C;
              max_update(best, idx, xv, (float)(i * c.kw + j), C);
            }
          const float* g = dy + ((n * c.oh + oh) * c.ow + ow) * C;
          for (int64_t i = 0; i < c.kh; i++)
            for (int64_t j = 0; j < c.kw; j++) {
              select_eq(dx + (base + i * c.w + j) * C, idx, g, (float)(i * c.kw + j), C);
            }
        }
    return;
  }
  memset(dx + n0 * img, 0, (size_t)((n1 - n0) * img) * sizeof(float));
  for (int64_t n = n0; n < n1; n++)
    for (int64_t oh = 0; oh < c.oh; oh++)
      for (int64_t ow = 0; ow < c.ow; ow++) {
        for (int64_t k = 0; k < C; k++) { best[k] = -INFINITY; idx[k] = -1.f; }
        for (int64_t i = 0; i < c.kh; i++) {
          const int64_t ih = oh * c.sh + i - c.pt;
          if (ih < 0 || ih >= c.h) continue;
          for (int64_t j = 0; j < c.kw; j++) {
            const int64_t iw = ow * c.sw + j - c.pl;
            if (iw < 0 || iw >= c.w) continue;
            const float p = (float)(i * c.kw + j);
            max_update(best, idx, x + ((n * c.h + ih) * c.w + iw) * C, p, C);
          }
        }
        const float* g = dy + ((n * c.oh + oh) * c.ow + ow) * C;
        for (int64_t i = 0; i < c.kh; i++) {
          const int64_t ih = oh * c.sh + i - c.pt;
          if (ih < 0 || ih >= c.h) continue;
          for (int64_t j = 0; j < c.kw; j++) {
            const int64_t iw = ow * c.sw + j - c.pl;
            if (iw < 0 || iw >= c.w) continue;
            select_eq_add(dx + ((n * c.h + ih) * c.w + iw) * C, idx, g, (float)(i * c.kw + j), C);
          }
        }
      }
}

// maxPoolGrad(heap, x, dy, dx, n,h,w,c,kh,kw,1,oh,ow,sh,sw,1,1,pt,pl): dy goes to the first maximum of each window
// (row-major order, strict >), as tfjs's cpu backend does. Images are split over the pool's threads.
static const char* const MAX_POOL_GRAD_ARGS[] = {"x", "dy", "dx", GEOMETRY};
static napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "maxPoolGrad", .names = MAX_POOL_GRAD_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 18, argv)) return NULL;
  pool_grad_task t = {0};
  const conv_t* c = &t.c;
  conv_args(&A, 3, &t.c);
  conv_regions(&A, c, 0, 1, -1, c->ci);
  conv_regions(&A, c, 2, -1, -1, 0);
  if (!A.ok) return NULL;
  t.x = F(0);
  t.dy = F(1);
  t.dx = F(2);
  pool_run(max_pool_grad_part, &t, t.c.n);
  if (t.failed) napi_throw_error(env, NULL, "wasmconv: out of memory");
  return NULL;
}

// avgPoolGrad(heap, dy, dx, n,h,w,c,kh,kw,1,oh,ow,sh,sw,1,1,pt,pl): the exact gradient of tfjs's avgPool forward,
// which averages over the in-bounds pixels of each window (padding excluded).
static const char* const AVG_POOL_GRAD_ARGS[] = {"dy", "dx", GEOMETRY};
static napi_value AvgPoolGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "avgPoolGrad", .names = AVG_POOL_GRAD_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 17, argv)) return NULL;
  conv_t c;
  conv_args(&A, 2, &c);
  conv_regions(&A, &c, 1, 0, -1, c.ci);
  if (!A.ok) return NULL;
  const float* dy = F(0);
  float* dx = F(1);
  const int64_t C = c.ci;
  memset(dx, 0, (size_t)(c.n * c.h * c.w * C) * sizeof(float));
  for (int64_t n = 0; n < c.n; n++)
    for (int64_t oh = 0; oh < c.oh; oh++) {
      const int64_t h0 = oh * c.sh - c.pt, h1 = h0 + c.kh;
      const int64_t hs = h0 < 0 ? 0 : h0, he = h1 > c.h ? c.h : h1;
      for (int64_t ow = 0; ow < c.ow; ow++) {
        const int64_t w0 = ow * c.sw - c.pl, w1 = w0 + c.kw;
        const int64_t ws = w0 < 0 ? 0 : w0, we = w1 > c.w ? c.w : w1;
        const int64_t count = (he - hs) * (we - ws);
        if (count <= 0) continue;
        const float scale = 1.f / (float)count;
        const float* g = dy + ((n * c.oh + oh) * c.ow + ow) * C;
        for (int64_t ih = hs; ih < he; ih++)
          for (int64_t iw = ws; iw < we; iw++) {
            float* d = dx + ((n * c.h + ih) * c.w + iw) * C;
            for (int64_t k = 0; k < C; k++) d[k] += g[k] * scale;
          }
      }
    }
  return NULL;
}

// tile(heap, x, out, xs0..xs5, reps0..reps5): 4-byte elements (float32 / int32); shapes padded to rank 6 with
// leading 1s. The innermost dimension is copied with memcpy.
static void tile_rec(const char* x, char* out, int d, const int64_t* xs, const int64_t* reps, const int64_t* xst,
                     const int64_t* ost) {
  if (d == 5) {
    const size_t bytes = (size_t)xs[5] * 4;
    for (int64_t r = 0; r < reps[5]; r++) memcpy(out + r * bytes, x, bytes);
    return;
  }
  for (int64_t r = 0; r < reps[d]; r++)
    for (int64_t i = 0; i < xs[d]; i++)
      tile_rec(x + i * xst[d] * 4, out + (r * xs[d] + i) * ost[d] * 4, d + 1, xs, reps, xst, ost);
}

static const char* const TILE_ARGS[] = {"x", "out", "shape[0]", "shape[1]", "shape[2]", "shape[3]", "shape[4]",
                                         "shape[5]", "reps[0]", "reps[1]", "reps[2]", "reps[3]", "reps[4]", "reps[5]"};
static napi_value Tile(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "tile", .names = TILE_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 14, argv)) return NULL;
  const int64_t* xs = A.a + 2;
  const int64_t* reps = A.a + 8;
  dims(&A, 2, 12);
  int64_t xn = 1, outn = 1;
  for (int d = 0; d < 6; d++) {
    xn = mul(&A, "x", xn, xs[d]);
    outn = mul(&A, "out", mul(&A, "out", outn, xs[d]), reps[d]);
  }
  region(&A, 0, xn);
  region(&A, 1, outn);
  if (!A.ok) return NULL;
  int64_t xst[6], ost[6];
  xst[5] = 1;
  ost[5] = 1;
  for (int d = 4; d >= 0; d--) {
    xst[d] = xst[d + 1] * xs[d + 1];
    ost[d] = ost[d + 1] * xs[d + 1] * reps[d + 1];
  }
  tile_rec(A.heap + A.a[0], A.heap + A.a[1], 0, xs, reps, xst, ost);
  return NULL;
}

// reduceRows(heap, x, out, rows, cols, mean): out[c] = sum (or mean) over r of x[r, c], accumulated in double.
static const char* const REDUCE_ROWS_ARGS[] = {"x", "out", "rows", "cols", "mean"};
static napi_value ReduceRows(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "reduceRows", .names = REDUCE_ROWS_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 1, 5, argv)) return NULL;
  const int64_t* a = A.a;
  dims(&A, 2, 2);
  range(&A, 4, 1, 0, 1);
  region(&A, 0, mul(&A, "x", a[2], a[3]));
  region(&A, 1, a[3]);
  if (!A.ok) return NULL;
  const float* x = F(0);
  float* out = F(1);
  const int64_t rows = a[2], cols = a[3];
  if (cols == 1) {
    double s = 0;
    for (int64_t r = 0; r < rows; r++) s += x[r];
    out[0] = (float)(a[4] ? s / (double)rows : s);
    return NULL;
  }
  double* acc = (double*)calloc((size_t)cols, sizeof(double));
  if (!acc) { napi_throw_error(env, NULL, "wasmconv: out of memory"); return NULL; }
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    for (int64_t c = 0; c < cols; c++) acc[c] += xr[c];
  }
  for (int64_t c = 0; c < cols; c++) out[c] = (float)(a[4] ? acc[c] / (double)rows : acc[c]);
  free(acc);
  return NULL;
}

// affineChannels(heap, coeffs: Float32Array [mean(C), mul(C), shift(C)], x, out, rows, C):
// out[r, c] = (x[r, c] - mean[c]) * mul[c] + shift[c] (batch norm with per-channel statistics).
static const char* const AFFINE_ARGS[] = {"x", "out", "rows", "C"};
static napi_value AffineChannels(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "affineChannels", .names = AFFINE_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 2, 4, argv)) return NULL;
  void* cp = NULL;
  size_t clen = 0;
  typed_array(&A, argv[1], napi_float32_array, "coeffs", &cp, &clen);
  const int64_t rows = A.a[2], C = A.a[3];
  dims(&A, 2, 2);
  if (A.ok && (int64_t)clen != 3 * C)
    fail(&A, napi_throw_range_error, "coeffs has %zu elements, 3 C = %lld expected", clen, (long long)(3 * C));
  region(&A, 0, mul(&A, "x", rows, C));
  region(&A, 1, mul(&A, "out", rows, C));
  if (!A.ok) return NULL;
  const float* co = (const float*)cp;
  const float* x = F(0);
  float* y = F(1);
  const float *mean = co, *scale = co + C, *shift = co + 2 * C;
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (int64_t c = 0; c < C; c++) yr[c] = (xr[c] - mean[c]) * scale[c] + shift[c];
  }
  return NULL;
}

// batchNormGrad(heap, coeffs: Float32Array [mean(C), r*scale(C)], sums: Float64Array(2C), x, dy, dx, rows):
// one pass computing dx = dy * r * scale and, per channel, sums[c] = sum dy, sums[C + c] = sum dy * (x - mean).
static const char* const BATCH_NORM_GRAD_ARGS[] = {"x", "dy", "dx", "rows"};
static napi_value BatchNormGrad(napi_env env, napi_callback_info info) {
  args_t A = {.fn = "batchNormGrad", .names = BATCH_NORM_GRAD_ARGS};
  napi_value argv[MAX_ARGS];
  if (!read_args(env, info, &A, 3, 4, argv)) return NULL;
  void *cp = NULL, *sp = NULL;
  size_t clen = 0, slen = 0;
  typed_array(&A, argv[1], napi_float32_array, "coeffs", &cp, &clen);
  typed_array(&A, argv[2], napi_float64_array, "sums", &sp, &slen);
  const int64_t rows = A.a[3], C = (int64_t)(slen / 2);  // C channels: sums holds 2 C
  dims(&A, 3, 1);
  if (A.ok && (slen == 0 || slen % 2 != 0))
    fail(&A, napi_throw_range_error, "sums has %zu elements, 2 C (C >= 1) expected", slen);
  if (A.ok && (int64_t)clen != 2 * C)
    fail(&A, napi_throw_range_error, "coeffs has %zu elements, 2 C = %lld expected", clen, (long long)(2 * C));
  region(&A, 0, mul(&A, "x", rows, C));
  region(&A, 1, mul(&A, "dy", rows, C));
  region(&A, 2, mul(&A, "dx", rows, C));
  if (!A.ok) return NULL;
  const float* co = (const float*)cp;
  double* sums = (double*)sp;
  const float* x = F(0);
  const float* dy = F(1);
  float* dx = F(2);
  const float *mean = co, *rs = co + C;
  double* restrict s1 = sums;
  double* restrict s2 = sums + C;
  for (int64_t c = 0; c < 2 * C; c++) sums[c] = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* restrict xr = x + r * C;
    const float* restrict gr = dy + r * C;
    float* restrict dr = dx + r * C;
    for (int64_t c = 0; c < C; c++) {
      const float g = gr[c];
      dr[c] = g * rs[c];
      s1[c] += g;
      s2[c] += (double)(g * (xr[c] - mean[c]));
    }
  }
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t t = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, argv[0], &t);
  if (t > 0) {
    pool_threads = t > MAX_THREADS ? MAX_THREADS : t;
    openblas_set_num_threads(1);  // one sgemm per pool thread (see the pool above)
  }
  napi_value out;
  napi_create_int32(env, get_pool_threads(), &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2d", NULL, Conv2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dFilterGrad", NULL, Conv2dFilterGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dInputGrad", NULL, Conv2dInputGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"depthwiseFilterGrad", NULL, DepthwiseFilterGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"depthwiseInputGrad", NULL, DepthwiseInputGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxPoolGrad", NULL, MaxPoolGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"avgPoolGrad", NULL, AvgPoolGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tile", NULL, Tile, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reduceRows", NULL, ReduceRows, NULL, NULL, NULL, napi_enumerable, NULL},
      {"affineChannels", NULL, AffineChannels, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batchNormGrad", NULL, BatchNormGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmul", NULL, Matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(wasmconv, Init)
