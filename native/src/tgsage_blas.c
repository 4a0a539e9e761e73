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
// build: -lopenblas -lm -pthread
// needs: cblas.h
#include <cblas.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int row_stats(const float *x, size_t n, size_t d, int method, double *shift, double *scale, long *errRow) {
  double *colMean = NULL;
  if (method == M_EUCLIDEAN || method == M_GRAM) {
    colMean = calloc(d, sizeof(double));
    if (!colMean) return ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    const float *row = x + i * d;
    double s = 0, raw = 0;
    for (size_t k = 0; k < d; k++) {
      double v = row[k];
      s += v;
      raw += v * v;
    }
    if (!isfinite(s) || !isfinite(raw)) {
      // locate precisely: a NaN / Inf entry (or an overflow of the sum of squares)
      *errRow = (long)i;
      free(colMean);
      return ERR_NONFINITE;
    }
    if (method == M_CORRELATION) {
      double mean = s / (double)d, ss = 0;
      for (size_t k = 0; k < d; k++) {
        double v = row[k] - mean;
        ss += v * v;
      }
      if (!(ss > raw * CONSTANT_REL) || ss == 0) {
        *errRow = (long)i;
        return ERR_CONSTANT;
      }
      shift[i] = mean;
      scale[i] = 1.0 / sqrt(ss);
    } else if (method == M_COSINE) {
      if (!(raw > 0)) {
        *errRow = (long)i;
        return ERR_CONSTANT;
      }
      shift[i] = 0;
      scale[i] = 1.0 / sqrt(raw);
    } else {
      for (size_t k = 0; k < d; k++) colMean[k] += row[k];
    }
  }
  if (colMean) {
    for (size_t k = 0; k < d; k++) colMean[k] /= (double)n;
    // for column centring the per-row arrays are reused: shift holds nothing, column means go back via scale[] slot
    // (callers pass arrays of length max(n, d) in that case)
    for (size_t k = 0; k < d; k++) shift[k] = colMean[k];
    free(colMean);
  }
  return ERR_NONE;
}

// Accumulates Y Y^T into c (n x n float32, upper triangle) where Y is x centred / scaled, block by block.
static int syrk_blocks(const float *x, size_t n, size_t d, int method, const double *shift, const double *scale,
                       float *c, double *sq) {
  size_t bd = d < BLOCK ? d : BLOCK;
  float *y = malloc(sizeof(float) * n * bd);
  if (!y) return ERR_NOMEM;
  int rowwise = method == M_CORRELATION || method == M_COSINE;
  if (sq) memset(sq, 0, sizeof(double) * n);
  for (size_t k0 = 0; k0 < d; k0 += bd) {
    size_t w = d - k0 < bd ? d - k0 : bd;
    for (size_t i = 0; i < n; i++) {
      const float *row = x + i * d + k0;
      float *yr = y + i * w;
      if (rowwise) {
        double m = shift[i], s = scale[i];
        for (size_t k = 0; k < w; k++) yr[k] = (float)((row[k] - m) * s);
      } else {
        const double *cm = shift + k0;
        double acc = 0;
        for (size_t k = 0; k < w; k++) {
          float v = (float)(row[k] - cm[k]);
          yr[k] = v;
          acc += (double)v * v;
        }
        if (sq) sq[i] += acc;
      }
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)w, 1.0f, y, (int)w, k0 == 0 ? 0.0f : 1.0f, c,
                (int)n);
  }
  free(y);
  return ERR_NONE;
}

static void run_rdm(Job *job) {
  size_t n = job->n, d = job->d;
  const float *x = job->x;
  size_t len = n > d ? n : d;
  double *shift = malloc(sizeof(double) * len), *scale = malloc(sizeof(double) * len), *sq = NULL;
  if (!shift || !scale) {
    job->err = ERR_NOMEM;
    goto done;
  }
  job->err = row_stats(x, n, d, job->method, shift, scale, &job->errRow);
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
    job->err = syrk_blocks(x, n, d, job->method, shift, scale, c, NULL);
    double *out = job->out;
    for (size_t i = 0; i < n; i++) {
      out[i * n + i] = c[i * n + i];
      for (size_t j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = c[i * n + j];
    }
    free(c);
    goto done;
  }
  float *out = job->out;
  job->err = syrk_blocks(x, n, d, job->method, shift, scale, out, sq);
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
  free(shift);
  free(scale);
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
  if (n < 1 || d < 1 || (size_t)(n * d) != xlen || (size_t)(n * n) != outlen || method < 0 || method > 3) {
    napi_throw_range_error(env, NULL, "tgsage_blas: bad shape or method");
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
  if (k > 0) openblas_set_num_threads(k);
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
