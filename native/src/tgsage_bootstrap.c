// tgsage_bootstrap: the stimulus bootstrap's per-resample work (services/scorer/bootstrap.ts explains the method) as a
// plain Node-API addon, resamples split over threads.
//
// bootstrap(mode, n, rows, cols, threads, counts, out, a, b, c, d, e): Promise<void>
//   mode 0 = Spearman: a = tie group of every entry (Int32Array, L x m, layer-major), b / c = the entries' i / j in
//            ascending order of value (Uint32Array, L x m), d = end of each tie group in sorted order (Uint32Array,
//            all layers' groups one after another), e = where each layer's groups start in d (Uint32Array, L + 1);
//   mode 1 = Pearson (a = values minus their mean, Float64Array L x m), mode 2 = cosine (a = values).
//   counts: Float64Array B x n, how often each stimulus was drawn in each of the B resamples.
//   out: Float64Array B x rows x cols, the similarities. L = rows + cols, m = n (n - 1) / 2.
// Runs on the libuv pool (napi async work); the caller keeps the arrays alive (references are held meanwhile).
// Every length is checked against the arguments (overflow-checked) before the work is queued, and every index the
// arrays hold (stimuli, tie groups, group ends and starts) before the first resample, off the event loop: a bad one
// throws, or rejects with, a RangeError naming the array, and nothing is read out of bounds.
//
// build: -O3 -fopenmp-simd -pthread -lm
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "tgsage_bootstrap: N-API call failed");  \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

#define NARR 7

enum { ERR_NONE = 0, ERR_NOMEM = 1, ERR_RANGE = 2 };

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[NARR];
  int mode, threads, err;  // err: ERR_*
  char msg[160];           // ERR_RANGE: which array holds a bad index
  size_t n, rows, cols, L, m, B, groups;
  const double *counts;
  double *out;
  const int32_t *group;
  const uint32_t *sortedI, *sortedJ, *groupEnd, *groupOff;
  const double *values;
} Job;

typedef struct {
  Job *job;
  size_t b0, b1;
} Slice;

#define CLONES __attribute__((target_clones("avx2", "default")))

// sum_p w[p] x[p] y[p] and friends over the compacted present pairs, vectorised
CLONES static double dot3(const double *w, const double *x, const double *y, size_t P) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (size_t p = 0; p < P; p++) s += w[p] * x[p] * y[p];
  return s;
}

CLONES static void moments(const double *w, const double *x, size_t P, double *s1, double *s2) {
  double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
  for (size_t p = 0; p < P; p++) {
    double wx = w[p] * x[p];
    a += wx;
    b += wx * x[p];
  }
  *s1 = a;
  *s2 = b;
}

// Per thread: ranks of every tie group, the present stimuli, the compacted weights / entries of the present pairs and
// every layer's value there (layer-major, so each gather reads one layer's ranks at a time).
typedef struct {
  float *rank;
  uint32_t *present;
  double *w;
  uint32_t *k;
  double *x;
  double *s1, *s2;
} Buffers;

static void one_resample(const Job *j, const double *c, double *out, Buffers *bf) {
  const size_t n = j->n, L = j->L, rows = j->rows, cols = j->cols, m = j->m;
  double sumC2 = 0;
  size_t np = 0;
  for (size_t i = 0; i < n; i++) {
    sumC2 += c[i] * c[i];
    if (c[i] > 0) bf->present[np++] = (uint32_t)i;
  }
  const double M = ((double)n * (double)n - sumC2) / 2;
  // the pairs of different drawn stimuli, their weight c_i c_j and entry k
  size_t P = 0;
  for (size_t pi = 0; pi < np; pi++) {
    const size_t i = bf->present[pi];
    const double ci = c[i];
    const size_t rowStart = i * n - (i * (i + 1)) / 2 - i - 1;
    for (size_t pj = pi + 1; pj < np; pj++) {
      const size_t jj = bf->present[pj];
      bf->w[P] = ci * c[jj];
      bf->k[P] = (uint32_t)(rowStart + jj);
      P++;
    }
  }
  if (j->mode == 0) {
    const double centre = (M + 1) / 2;
    for (size_t l = 0; l < L; l++) {
      const uint32_t off = j->groupOff[l], G = j->groupOff[l + 1] - off;
      const uint32_t *sI = j->sortedI + l * m, *sJ = j->sortedJ + l * m, *gE = j->groupEnd + off;
      float *rk = bf->rank + off;
      double cum = 0;
      size_t t = 0;
      for (uint32_t g = 0; g < G; g++) {
        const size_t end = gE[g];
        double w = 0;
        for (; t < end; t++) w += c[sI[t]] * c[sJ[t]];
        rk[g] = (float)(cum + (w + 1) / 2 - centre);
        cum += w;
      }
      const int32_t *grp = j->group + l * m;
      double *x = bf->x + l * P;
      for (size_t p = 0; p < P; p++) x[p] = rk[grp[bf->k[p]]];
    }
  } else {
    for (size_t l = 0; l < L; l++) {
      const double *v = j->values + l * m;
      double *x = bf->x + l * P;
      for (size_t p = 0; p < P; p++) x[p] = v[bf->k[p]];
    }
  }
  for (size_t l = 0; l < L; l++) moments(bf->w, bf->x + l * P, P, &bf->s1[l], &bf->s2[l]);
  const double *s1 = bf->s1, *s2 = bf->s2;
  for (size_t a = 0; a < rows; a++) {
    for (size_t b = 0; b < cols; b++) {
      const size_t t = rows + b;
      const double sab = dot3(bf->w, bf->x + a * P, bf->x + t * P, P);
      out[a * cols + b] = j->mode == 2 ? sab / sqrt(s2[a] * s2[t])
                                       : (M * sab - s1[a] * s1[t]) / sqrt((M * s2[a] - s1[a] * s1[a]) * (M * s2[t] - s1[t] * s1[t]));
    }
  }
}

static void *run_slice(void *p) {
  Slice *s = p;
  Job *j = s->job;
  Buffers bf = {0};
  bf.rank = j->mode == 0 ? malloc(sizeof(float) * (j->groups ? j->groups : 1)) : NULL;
  bf.present = malloc(sizeof(uint32_t) * j->n);
  bf.w = malloc(sizeof(double) * j->m);
  bf.k = malloc(sizeof(uint32_t) * j->m);
  bf.x = malloc(sizeof(double) * j->m * j->L);
  bf.s1 = malloc(sizeof(double) * 2 * j->L);
  if ((j->mode == 0 && !bf.rank) || !bf.present || !bf.w || !bf.k || !bf.x || !bf.s1) {
    j->err = ERR_NOMEM;
  } else {
    bf.s2 = bf.s1 + j->L;
    for (size_t r = s->b0; r < s->b1; r++) one_resample(j, j->counts + r * j->n, j->out + r * j->rows * j->cols, &bf);
  }
  free(bf.rank);
  free(bf.present);
  free(bf.w);
  free(bf.k);
  free(bf.x);
  free(bf.s1);
  return NULL;
}

// The indices inside the Spearman arrays (mode 0): 0 when they all point inside what they index, else ERR_RANGE with
// j->msg naming the array.
static int check_indices(Job *j) {
  const size_t L = j->L, m = j->m;
  for (size_t l = 0; l < L; l++) {
    const uint32_t off = j->groupOff[l], end = j->groupOff[l + 1];
    if (off > end || end > j->groups) {
      snprintf(j->msg, sizeof j->msg, "groupOff[%zu..%zu] = %u, %u: not ascending within groupEnd's %zu", l, l + 1,
               off, end, j->groups);
      return ERR_RANGE;
    }
    const uint32_t G = end - off;
    for (uint32_t g = 0; g < G; g++) {
      if (j->groupEnd[off + g] > m) {
        snprintf(j->msg, sizeof j->msg, "groupEnd[%u] = %u exceeds the %zu pairs", off + g, j->groupEnd[off + g], m);
        return ERR_RANGE;
      }
    }
    for (size_t k = l * m; k < (l + 1) * m; k++) {
      if (j->group[k] < 0 || (uint32_t)j->group[k] >= G) {
        snprintf(j->msg, sizeof j->msg, "group[%zu] = %d is not one of layer %zu's %u tie groups", k, j->group[k], l, G);
        return ERR_RANGE;
      }
      if (j->sortedI[k] >= j->n || j->sortedJ[k] >= j->n) {
        snprintf(j->msg, sizeof j->msg, "%s[%zu] = %u is not one of the %zu stimuli", j->sortedI[k] >= j->n ? "sortedI" : "sortedJ",
                 k, j->sortedI[k] >= j->n ? j->sortedI[k] : j->sortedJ[k], j->n);
        return ERR_RANGE;
      }
    }
  }
  return ERR_NONE;
}

static void execute(napi_env env, void *data) {
  (void)env;
  Job *j = data;
  if (j->mode == 0 && (j->err = check_indices(j)) != ERR_NONE) return;
  int k = j->threads < 1 ? 1 : (j->threads > 16 ? 16 : j->threads);
  if ((size_t)k > j->B) k = (int)(j->B ? j->B : 1);
  pthread_t th[16];
  Slice sl[16];
  int started[16] = {0};
  for (int t = 0; t < k; t++) {
    sl[t] = (Slice){j, j->B * t / k, j->B * (t + 1) / k};
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

static void complete(napi_env env, napi_status status, void *data) {
  Job *j = data;
  for (int i = 0; i < NARR; i++)
    if (j->refs[i]) napi_delete_reference(env, j->refs[i]);
  napi_value v;
  if (status != napi_ok || j->err) {
    napi_value msg;
    char text[200];
    snprintf(text, sizeof text, "tgsage_bootstrap: %s",
             status != napi_ok ? "failed" : j->err == ERR_RANGE ? j->msg : "out of memory");
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    if (status == napi_ok && j->err == ERR_RANGE)
      napi_create_range_error(env, NULL, msg, &v);
    else
      napi_create_error(env, NULL, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  } else {
    napi_get_undefined(env, &v);
    napi_resolve_deferred(env, j->deferred, v);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static int array_of(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, len, data, &ab, &off) != napi_ok) return 0;
  return t == want;
}

// Throws a RangeError "tgsage_bootstrap: <message>"; returns 0.
static int range_error(napi_env env, const char *fmt, ...) {
  char msg[200];
  int used = snprintf(msg, sizeof msg, "tgsage_bootstrap: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + used, sizeof msg - (size_t)used, fmt, ap);
  va_end(ap);
  napi_throw_range_error(env, NULL, msg);
  return 0;
}

// argv[i] is a typed array of the given type; its length is `want` unless want is SIZE_MAX (then any).
static int array_arg(napi_env env, napi_value *argv, size_t i, const char *name, napi_typedarray_type type,
                     const char *type_name, size_t want, void **data, size_t *len) {
  if (!array_of(env, argv[i], type, data, len)) {
    char msg[120];
    snprintf(msg, sizeof msg, "tgsage_bootstrap: %s must be a %s", name, type_name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (want != SIZE_MAX && *len != want) return range_error(env, "%s has %zu elements, %zu expected", name, *len, want);
  return 1;
}

// a * b, or a RangeError naming `what` when it overflows size_t.
static int size_mul(napi_env env, const char *what, size_t a, size_t b, size_t *out) {
  if (__builtin_mul_overflow(a, b, out)) return range_error(env, "the size of %s overflows", what);
  return 1;
}

static int read_job(napi_env env, napi_value *argv, size_t argc, Job *j) {
  int32_t mode, n, rows, cols, threads;
  if (napi_get_value_int32(env, argv[0], &mode) != napi_ok || napi_get_value_int32(env, argv[1], &n) != napi_ok ||
      napi_get_value_int32(env, argv[2], &rows) != napi_ok || napi_get_value_int32(env, argv[3], &cols) != napi_ok ||
      napi_get_value_int32(env, argv[4], &threads) != napi_ok) {
    napi_throw_type_error(env, NULL, "tgsage_bootstrap: mode, n, rows, cols and threads must be numbers");
    return 0;
  }
  if (mode < 0 || mode > 2) return range_error(env, "mode must be 0, 1 or 2 (got %d)", mode);
  if (n < 3) return range_error(env, "n must be >= 3 (got %d)", n);
  if (rows < 1 || cols < 1) return range_error(env, "rows and cols must be >= 1 (got %d, %d)", rows, cols);
  if (mode == 0 && argc < 12) return range_error(env, "Spearman (mode 0) takes 12 arguments (got %zu)", argc);
  j->mode = mode;
  j->threads = threads;
  j->n = (size_t)n;
  j->rows = (size_t)rows;
  j->cols = (size_t)cols;
  j->L = j->rows + j->cols;
  j->m = j->n * (j->n - 1) / 2;
  size_t Lm, rc, outLen, len;
  void *p;
  if (!size_mul(env, "L m", j->L, j->m, &Lm) || !size_mul(env, "out", j->rows, j->cols, &rc)) return 0;
  if (!array_arg(env, argv, 5, "counts", napi_float64_array, "Float64Array", SIZE_MAX, &p, &len)) return 0;
  if (len % j->n != 0) return range_error(env, "counts has %zu elements, not a multiple of n = %zu", len, j->n);
  j->counts = p;
  j->B = len / j->n;
  if (!size_mul(env, "out", j->B, rc, &outLen)) return 0;
  if (!array_arg(env, argv, 6, "out", napi_float64_array, "Float64Array", outLen, &p, &len)) return 0;
  j->out = p;
  if (mode != 0) {
    if (!array_arg(env, argv, 7, "values", napi_float64_array, "Float64Array", Lm, &p, &len)) return 0;
    j->values = p;
    return 1;
  }
  if (!array_arg(env, argv, 7, "group", napi_int32_array, "Int32Array", Lm, &p, &len)) return 0;
  j->group = p;
  if (!array_arg(env, argv, 8, "sortedI", napi_uint32_array, "Uint32Array", Lm, &p, &len)) return 0;
  j->sortedI = p;
  if (!array_arg(env, argv, 9, "sortedJ", napi_uint32_array, "Uint32Array", Lm, &p, &len)) return 0;
  j->sortedJ = p;
  if (!array_arg(env, argv, 10, "groupEnd", napi_uint32_array, "Uint32Array", SIZE_MAX, &p, &len)) return 0;
  j->groupEnd = p;
  j->groups = len;
  if (!array_arg(env, argv, 11, "groupOff", napi_uint32_array, "Uint32Array", j->L + 1, &p, &len)) return 0;
  j->groupOff = p;
  if (j->groupOff[j->L] != j->groups)
    return range_error(env, "groupOff[L] = %u, groupEnd's length %zu expected", j->groupOff[j->L], j->groups);
  return 1;
}

static napi_value js_bootstrap(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) {
    napi_throw_type_error(env, NULL, "bootstrap(mode, n, rows, cols, threads, counts, out, ...arrays)");
    return NULL;
  }
  Job *j = calloc(1, sizeof(Job));
  if (!j) {
    napi_throw_error(env, NULL, "tgsage_bootstrap: out of memory");
    return NULL;
  }
  if (!read_job(env, argv, argc, j)) {
    free(j);
    return NULL;
  }
  size_t narr = j->mode == 0 ? 7 : 3;
  for (size_t i = 0; i < narr; i++) CHECK(napi_create_reference(env, argv[5 + i], 1, &j->refs[i]));
  napi_value promise, name;
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "tgsage_bootstrap", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bootstrap", NULL, js_bootstrap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 1, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
