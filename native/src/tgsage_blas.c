// tgsage_blas: RDMs and centred Gram matrices over Debian's OpenBLAS, as a plain Node-API addon.
//
// rdm(x: Float32Array, n, d, method, out: Float32Array): Promise<void>
//     method 0 = correlation distance (1 - Pearson between rows), 1 = cosine distance, 2 = euclidean.
//     Rows are validated (finite; for 0/1 not constant / not zero) and centred / scaled in float64, then written in
//     column blocks of float32 into a small buffer that one cblas_ssyrk per block accumulates into `out`.
// gram(x: Float32Array, n, d, out: Float64Array): Promise<void>   H X X^T H (column-centred X X^T).
// rankAverage(values: Float32Array | Float64Array, out: Float64Array): void   tie-averaged ranks (1-based).
// setThreads(k), info(): string
//
// Work runs on the libuv pool (napi async work), so the event loop keeps serving while OpenBLAS computes. Rejections
// carry `code` ("E_NONFINITE" | "E_CONSTANT") and `row`.
//
// build: -fopenmp-simd -lopenblas -lm -pthread
// needs: cblas.h
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "tgsage_blas: N-API call failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

enum { ERR_NONE = 0, ERR_NONFINITE = 1, ERR_CONSTANT = 2, ERR_NOMEM = 3 };
enum { M_CORRELATION = 0, M_COSINE = 1, M_EUCLIDEAN = 2, M_GRAM = 3 };

#define BLOCK 2048

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref xref, outref;
  const float *x;
  void *out;
  size_t n, d;
  int method;
  int err;
  long errRow;
} Job;

// Relative threshold under which a row's spread counts as zero: deviations below float32 resolution.
static const double CONSTANT_REL = 1e-13;

// phase timings, printed to stderr when TGSAGE_BLAS_PROFILE is set
static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static double g_fill_ms, g_syrk_ms;


// ---- a tiny parallel-for over rows (the fill and the statistics are memory-bound; OpenBLAS idles meanwhile) ----

typedef void (*RowFn)(void *ctx, size_t i0, size_t i1, int t);
typedef struct {
  RowFn fn;
  void *ctx;
  size_t i0, i1;
  int t;
} Slice;

static int g_threads = 0;  // 0: follow OpenBLAS

static int worker_count(void) {
  int k = g_threads > 0 ? g_threads : openblas_get_num_threads();
  return k < 1 ? 1 : (k > 16 ? 16 : k);
}

static void *run_slice(void *p) {
  Slice *s = p;
  s->fn(s->ctx, s->i0, s->i1, s->t);
  return NULL;
}

static void parallel_rows(size_t n, int k, RowFn fn, void *ctx) {
  if (k > (int)n) k = (int)n;
  if (k <= 1) {
    fn(ctx, 0, n, 0);
    return;
  }
  pthread_t th[16];
  Slice sl[16];
  int started[16] = {0};
  for (int t = 0; t < k; t++) {
    sl[t] = (Slice){fn, ctx, n * t / k, n * (t + 1) / k, t};
    if (t > 0) started[t] = pthread_create(&th[t], NULL, run_slice, &sl[t]) == 0;
  }
  run_slice(&sl[0]);
  for (int t = 1; t < k; t++) {
    if (started[t])
      pthread_join(th[t], NULL);
    else
      run_slice(&sl[t]);
  }
}

// ---- kernels (vectorised with AVX2 where the CPU has it; plain SSE2 otherwise) ----

#define CLONES __attribute__((target_clones("avx2", "default")))

CLONES static void sums(const float *row, size_t d, double *s_out, double *raw_out) {
  double s = 0, raw = 0;
#pragma omp simd reduction(+ : s, raw)
  for (size_t k = 0; k < d; k++) {
    double v = row[k];
    s += v;
    raw += v * v;
  }
  *s_out = s;
  *raw_out = raw;
}

CLONES static double centred_ss(const float *row, size_t d, double mean) {
  double ss = 0;
#pragma omp simd reduction(+ : ss)
  for (size_t k = 0; k < d; k++) {
    double v = row[k] - mean;
    ss += v * v;
  }
  return ss;
}

CLONES static void add_columns(const float *row, size_t d, double *acc) {
#pragma omp simd
  for (size_t k = 0; k < d; k++) acc[k] += row[k];
}

CLONES static void fill_scaled(const float *row, size_t w, float m, float s, float *y) {
#pragma omp simd
  for (size_t k = 0; k < w; k++) y[k] = (row[k] - m) * s;
}

CLONES static double fill_centred(const float *row, size_t w, const float *cm, float *y) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (size_t k = 0; k < w; k++) {
    float v = row[k] - cm[k];
    y[k] = v;
    acc += (double)v * v;
  }
  return acc;
}

typedef struct {
  const float *x;
  size_t n, d;
  int method;
  double *shift, *scale;  // per row (correlation / cosine)
  double *colAcc;         // per thread column sums (euclidean / gram): k * d
  int *err;               // per row error kind, 0 when fine
} StatsCtx;

static void stats_rows(void *p, size_t i0, size_t i1, int t) {
  StatsCtx *c = p;
  size_t d = c->d;
  for (size_t i = i0; i < i1; i++) {
    const float *row = c->x + i * d;
    double s, raw;
    sums(row, d, &s, &raw);
    c->err[i] = 0;
    if (!isfinite(s) || !isfinite(raw)) {
      c->err[i] = ERR_NONFINITE;
      continue;
    }
    if (c->method == M_CORRELATION) {
      double mean = s / (double)d, ss = raw - s * mean;
      // the one-pass form cancels when the mean dwarfs the spread: then take the exact two-pass sum
      if (ss < raw * 1e-6) ss = centred_ss(row, d, mean);
      if (ss == 0 || !(ss > raw * CONSTANT_REL)) {
        c->err[i] = ERR_CONSTANT;
        continue;
      }
      c->shift[i] = mean;
      c->scale[i] = 1.0 / sqrt(ss);
    } else if (c->method == M_COSINE) {
      if (!(raw > 0)) {
        c->err[i] = ERR_CONSTANT;
        continue;
      }
      c->shift[i] = 0;
      c->scale[i] = 1.0 / sqrt(raw);
    } else {
      add_columns(row, d, c->colAcc + (size_t)t * d);
    }
  }
}

// Validates rows; for correlation / cosine fills shift/scale (length n), else the column means into colMean (d).
static int row_stats(const float *x, size_t n, size_t d, int method, double *shift, double *scale, float *colMean,
                     long *errRow) {
  int k = worker_count();
  int rowwise = method == M_CORRELATION || method == M_COSINE;
  StatsCtx c = {x, n, d, method, shift, scale, NULL, malloc(sizeof(int) * n)};
  if (!c.err) return ERR_NOMEM;
  if (!rowwise) {
    c.colAcc = calloc((size_t)k * d, sizeof(double));
    if (!c.colAcc) {
      free(c.err);
      return ERR_NOMEM;
    }
  }
  parallel_rows(n, k, stats_rows, &c);
  int err = ERR_NONE;
  for (size_t i = 0; i < n; i++) {
    if (c.err[i]) {
      err = c.err[i];
      *errRow = (long)i;
      break;
    }
  }
  if (!err && !rowwise) {
    for (size_t j = 0; j < d; j++) {
      double s = 0;
      for (int t = 0; t < k; t++) s += c.colAcc[(size_t)t * d + j];
      colMean[j] = (float)(s / (double)n);
    }
  }
  free(c.colAcc);
  free(c.err);
  return err;
}

typedef struct {
  const float *x;
  size_t d, k0, w;
  int rowwise;
  const double *shift, *scale;
  const float *colMean;
  float *y;
  double *sq;
} FillCtx;

static void fill_rows(void *p, size_t i0, size_t i1, int t) {
  (void)t;
  FillCtx *c = p;
  for (size_t i = i0; i < i1; i++) {
    const float *row = c->x + i * c->d + c->k0;
    float *yr = c->y + i * c->w;
    if (c->rowwise)
      fill_scaled(row, c->w, (float)c->shift[i], (float)c->scale[i], yr);
    else {
      double acc = fill_centred(row, c->w, c->colMean + c->k0, yr);
      if (c->sq) c->sq[i] += acc;
    }
  }
}

// Accumulates Y Y^T into c (n x n float32, upper triangle) where Y is x centred / scaled, block by block.
static int syrk_blocks(const float *x, size_t n, size_t d, int method, const double *shift, const double *scale,
                       const float *colMean, float *c, double *sq) {
  size_t bd = d < BLOCK ? d : BLOCK;
  float *y = malloc(sizeof(float) * n * bd);
  if (!y) return ERR_NOMEM;
  if (sq) memset(sq, 0, sizeof(double) * n);
  int k = worker_count();
  for (size_t k0 = 0; k0 < d; k0 += bd) {
    size_t w = d - k0 < bd ? d - k0 : bd;
    FillCtx f = {x, d, k0, w, method == M_CORRELATION || method == M_COSINE, shift, scale, colMean, y, sq};
    double a = now_ms();
    parallel_rows(n, k, fill_rows, &f);
    double b = now_ms();
    g_fill_ms += b - a;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)w, 1.0f, y, (int)w, k0 == 0 ? 0.0f : 1.0f, c,
                (int)n);
    g_syrk_ms += now_ms() - b;
  }
  free(y);
  return ERR_NONE;
}

static void run_rdm(Job *job) {
  double t0 = now_ms(), t1 = t0;
  g_fill_ms = g_syrk_ms = 0;
  size_t n = job->n, d = job->d;
  const float *x = job->x;
  double *shift = malloc(sizeof(double) * n), *scale = malloc(sizeof(double) * n), *sq = NULL;
  float *colMean = malloc(sizeof(float) * d);
  if (!shift || !scale || !colMean) {
    job->err = ERR_NOMEM;
    goto done;
  }
  job->err = row_stats(x, n, d, job->method, shift, scale, colMean, &job->errRow);
  t1 = now_ms();
  if (job->err) goto done;
  int euclid = job->method == M_EUCLIDEAN;
  if (euclid) {
    sq = malloc(sizeof(double) * n);
    if (!sq) {
      job->err = ERR_NOMEM;
      goto done;
    }
  }
  if (job->method == M_GRAM) {
    float *c = malloc(sizeof(float) * n * n);
    if (!c) {
      job->err = ERR_NOMEM;
      goto done;
    }
    job->err = syrk_blocks(x, n, d, job->method, shift, scale, colMean, c, NULL);
    double *out = job->out;
    for (size_t i = 0; i < n; i++) {
      out[i * n + i] = c[i * n + i];
      for (size_t j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = c[i * n + j];
    }
    free(c);
    goto done;
  }
  float *out = job->out;
  job->err = syrk_blocks(x, n, d, job->method, shift, scale, colMean, out, sq);
  if (job->err) goto done;
  for (size_t i = 0; i < n; i++) {
    out[i * n + i] = 0.0f;
    for (size_t j = i + 1; j < n; j++) {
      double g = out[i * n + j], v;
      if (!euclid) {
        v = 1.0 - g;
        if (v < 0) v = 0;
        if (v > 2) v = 2;
      } else {
        double d2 = sq[i] + sq[j] - 2.0 * g;
        if (d2 < 1e-3 * (sq[i] + sq[j])) {
          // close rows: the expansion cancels; recompute the distance directly in float64
          const float *a = x + i * d, *b = x + j * d;
          double acc = 0;
          for (size_t k = 0; k < d; k++) {
            double t = (double)a[k] - (double)b[k];
            acc += t * t;
          }
          d2 = acc;
        }
        v = d2 > 0 ? sqrt(d2) : 0;
      }
      out[i * n + j] = out[j * n + i] = (float)v;
    }
  }
done:
  if (getenv("TGSAGE_BLAS_PROFILE")) {
    double t3 = now_ms();
    fprintf(stderr, "tgsage_blas: n=%zu d=%zu stats %.1f fill %.1f syrk %.1f finish %.1f ms\n", n, d, t1 - t0,
            g_fill_ms, g_syrk_ms, t3 - t0 - (t1 - t0) - g_fill_ms - g_syrk_ms);
  }
  free(shift);
  free(scale);
  free(colMean);
  free(sq);
}

static void execute(napi_env env, void *data) {
  (void)env;
  run_rdm((Job *)data);
}

static void complete(napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value result;
  if (status != napi_ok || job->err != ERR_NONE) {
    const char *code = "E_INTERNAL";
    char msg[160];
    if (status != napi_ok) {
      snprintf(msg, sizeof msg, "tgsage_blas: async work failed");
    } else if (job->err == ERR_NONFINITE) {
      code = "E_NONFINITE";
      snprintf(msg, sizeof msg, "row %ld contains NaN or Inf (or overflows float64)", job->errRow);
    } else if (job->err == ERR_CONSTANT) {
      code = "E_CONSTANT";
      snprintf(msg, sizeof msg, "row %ld is constant (zero %s)", job->errRow,
               job->method == M_COSINE ? "norm" : "variance");
    } else {
      code = "E_NOMEM";
      snprintf(msg, sizeof msg, "tgsage_blas: out of memory");
    }
    napi_value codeV, msgV, rowV;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codeV);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msgV);
    napi_create_error(env, codeV, msgV, &result);
    napi_create_int64(env, job->errRow, &rowV);
    napi_set_named_property(env, result, "row", rowV);
    napi_reject_deferred(env, job->deferred, result);
  } else {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_reference(env, job->xref);
  napi_delete_reference(env, job->outref);
  napi_delete_async_work(env, job->work);
  free(job);
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}

static napi_value start(napi_env env, napi_callback_info info, int gram) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < (gram ? 4u : 5u)) {
    napi_throw_type_error(env, NULL, "tgsage_blas: too few arguments");
    return NULL;
  }
  void *x, *out;
  size_t xlen, outlen;
  int64_t n, d, method = M_GRAM;
  napi_value outArg = argv[gram ? 3 : 4];
  if (!typed(env, argv[0], napi_float32_array, &x, &xlen) ||
      !typed(env, outArg, gram ? napi_float64_array : napi_float32_array, &out, &outlen)) {
    napi_throw_type_error(env, NULL, "tgsage_blas: expected Float32Array input and typed output");
    return NULL;
  }
  CHECK(napi_get_value_int64(env, argv[1], &n));
  CHECK(napi_get_value_int64(env, argv[2], &d));
  if (!gram) CHECK(napi_get_value_int64(env, argv[3], &method));
  // Overflow-checked: n d and n n must be the arrays' lengths exactly, or the work would read / write past them.
  int64_t nd, nn;
  char msg[160] = "";
  if (n < 1 || d < 1 || n > INT32_MAX || d > INT32_MAX)
    snprintf(msg, sizeof msg, "n and d must be in [1, %d] (got %lld, %lld)", INT32_MAX, (long long)n, (long long)d);
  else if (__builtin_mul_overflow(n, d, &nd) || (uint64_t)nd != xlen)
    snprintf(msg, sizeof msg, "x has %zu elements, n d = %lld x %lld expected", xlen, (long long)n, (long long)d);
  else if (__builtin_mul_overflow(n, n, &nn) || (uint64_t)nn != outlen)
    snprintf(msg, sizeof msg, "out has %zu elements, n n = %lld x %lld expected", outlen, (long long)n, (long long)n);
  else if (!gram && (method < 0 || method > 2))  // 3 (M_GRAM) writes float64: only through gram()
    snprintf(msg, sizeof msg, "method must be 0, 1 or 2 (got %lld)", (long long)method);
  if (msg[0]) {
    char full[200];
    snprintf(full, sizeof full, "tgsage_blas.%s: %s", gram ? "gram" : "rdm", msg);
    napi_throw_range_error(env, NULL, full);
    return NULL;
  }
  Job *job = calloc(1, sizeof(Job));
  if (!job) {
    napi_throw_error(env, NULL, "tgsage_blas: out of memory");
    return NULL;
  }
  job->x = x;
  job->out = out;
  job->n = (size_t)n;
  job->d = (size_t)d;
  job->method = (int)method;
  napi_value promise, name;
  CHECK(napi_create_promise(env, &job->deferred, &promise));
  CHECK(napi_create_reference(env, argv[0], 1, &job->xref));
  CHECK(napi_create_reference(env, outArg, 1, &job->outref));
  CHECK(napi_create_string_utf8(env, "tgsage_blas", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, job, &job->work));
  CHECK(napi_queue_async_work(env, job->work));
  return promise;
}

static napi_value js_rdm(napi_env env, napi_callback_info info) { return start(env, info, 0); }
static napi_value js_gram(napi_env env, napi_callback_info info) { return start(env, info, 1); }

// ---- tie-averaged ranks: LSD radix sort (11-bit digits) on order-preserving integer keys ----

static inline uint32_t key32(float f) {
  uint32_t u;
  if (f == 0.0f) f = 0.0f;  // -0 ranks with +0
  memcpy(&u, &f, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static inline uint64_t key64(double f) {
  uint64_t u;
  if (f == 0.0) f = 0.0;
  memcpy(&u, &f, 8);
  return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

static void radix_ranks(const uint64_t *keys, size_t m, int bits, double *out) {
  uint32_t *idx = malloc(sizeof(uint32_t) * m), *tmp = malloc(sizeof(uint32_t) * m);
  int passes = (bits + 10) / 11;
  size_t *hist = calloc((size_t)passes * 2048, sizeof(size_t));
  for (size_t i = 0; i < m; i++) {
    uint64_t k = keys[i];
    for (int p = 0; p < passes; p++) hist[p * 2048 + ((k >> (11 * p)) & 2047)]++;
  }
  for (size_t i = 0; i < m; i++) idx[i] = (uint32_t)i;
  for (int p = 0; p < passes; p++) {
    size_t *h = hist + p * 2048, sum = 0;
    int trivial = 0;
    for (int b = 0; b < 2048; b++) {
      if (h[b] == m) trivial = 1;
      size_t c = h[b];
      h[b] = sum;
      sum += c;
    }
    if (trivial) continue;
    for (size_t i = 0; i < m; i++) {
      uint32_t j = idx[i];
      tmp[h[(keys[j] >> (11 * p)) & 2047]++] = j;
    }
    uint32_t *s = idx;
    idx = tmp;
    tmp = s;
  }
  for (size_t i = 0; i < m;) {
    size_t e = i + 1;
    while (e < m && keys[idx[e]] == keys[idx[i]]) e++;
    double r = (double)(i + e + 1) / 2.0;  // average of 1-based ranks i+1 .. e
    for (size_t k = i; k < e; k++) out[idx[k]] = r;
    i = e;
  }
  free(idx);
  free(tmp);
  free(hist);
}

static napi_value js_rank_average(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *in, *out;
  size_t m, outlen;
  bool is;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (argc < 2 || napi_is_typedarray(env, argv[0], &is) != napi_ok || !is ||
      !typed(env, argv[1], napi_float64_array, &out, &outlen)) {
    napi_throw_type_error(env, NULL, "rankAverage(values, out: Float64Array)");
    return NULL;
  }
  CHECK(napi_get_typedarray_info(env, argv[0], &t, &m, &in, &ab, &off));
  if ((t != napi_float32_array && t != napi_float64_array) || outlen != m || m > 0xffffffffu) {
    napi_throw_type_error(env, NULL, "rankAverage: Float32Array or Float64Array of the output's length");
    return NULL;
  }
  uint64_t *keys = malloc(sizeof(uint64_t) * (m ? m : 1));
  if (!keys) {
    napi_throw_error(env, NULL, "tgsage_blas: out of memory");
    return NULL;
  }
  int bits = 32;
  if (t == napi_float32_array) {
    const float *v = in;
    for (size_t i = 0; i < m; i++) keys[i] = key32(v[i]);
  } else {
    const double *v = in;
    for (size_t i = 0; i < m; i++) keys[i] = key64(v[i]);
    bits = 64;
  }
  radix_ranks(keys, m, bits, out);
  free(keys);
  return NULL;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t k;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &k));
  if (k > 0) {
    openblas_set_num_threads(k);
    g_threads = k;
  }
  return NULL;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[512];
  snprintf(buf, sizeof buf, "OpenBLAS %s; core %s; threads %d", openblas_get_config(), openblas_get_corename(),
           openblas_get_num_threads());
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"rdm", NULL, js_rdm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gram", NULL, js_gram, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rankAverage", NULL, js_rank_average, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
