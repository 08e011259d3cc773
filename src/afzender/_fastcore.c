/*
 * afzender._fastcore: the linear model's class scores for a whole batch in one pass.
 *
 * Input is the "pre-normalised joined string" of afzender.text.prejoin (posts cut, joined
 * with U+0000, NUL and lone surrogates replaced, NFKC, lower case). For each post this
 * module does the rest of afzender.text.normalize_joined (links, invisible and control
 * characters, punctuation split, digits, whitespace collapse, wrapping in spaces) and
 * then hashes the same features as afzender.features.occurrences (char n-grams, words,
 * word bigrams; polynomial hash, salted bucket mix, weight 1/sqrt(group size)) and sums
 * weights[k, bucket] * weight per class, in the same order as the numpy path adds them.
 *
 * The code points are copied out first; the numeric loop runs without the GIL, so two
 * threads can score two halves of a batch at the same time.
 *
 * Build with -ffp-contract=off (see setup.py): a fused multiply-add would round
 * differently from numpy's separate multiply and add.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define HASH_P 0x100000001B3ULL         /* features._P */
#define MIX1 0xFF51AFD7ED558CCDULL      /* features._MIX1 */
#define MIX2 0xC4CEB9FE1A85EC53ULL      /* features._MIX2 */
#define GOLDEN 0x9E3779B97F4A7C15ULL    /* salt of the i-th group name is i * GOLDEN */
#define MAX_NGRAM 8
#define MAX_CHARS 20000  /* text.MAX_CHARS: no post is read further (prejoin has cut it) */

/* 1-based position of each group name in features._SALTS:
   ("char2", "char3", "char4", "char5", "word", "word2", "char1", "char6", "char7", "char8") */
static const unsigned CHAR_SALT_INDEX[MAX_NGRAM + 1] = {0, 7, 1, 2, 3, 4, 8, 9, 10};
#define WORD_SALT_INDEX 5u
#define WORD2_SALT_INDEX 6u

static PyObject *numpy_zeros = NULL;  /* numpy.zeros, looked up at import */

/* ------------------------------------------------------------------ normalisation */

static inline int is_invisible(Py_UCS4 c)  /* text._INVISIBLE: deleted */
{
    return c == 0xFE0E || c == 0xFE0F || (c >= 0x200B && c <= 0x200D) ||
           (c >= 0x2060 && c <= 0x206F) || c == 0x00AD || c == 0xFEFF;
}

static inline int is_control(Py_UCS4 c)  /* text._CONTROL: becomes a space */
{
    return (c >= 0x01 && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) || c == 0x200E ||
           c == 0x200F || (c >= 0x202A && c <= 0x202E) || c == 0x2028 || c == 0x2029;
}

static inline int is_space(Py_UCS4 c)  /* str.isspace, regex \s */
{
    return Py_UNICODE_ISSPACE(c);
}

static inline int is_word(Py_UCS4 c)  /* regex \w: str.isalnum or underscore */
{
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    return Py_UNICODE_ISALNUM(c);
}

static inline int matches(const Py_UCS4 *s, Py_ssize_t i, Py_ssize_t n, const char *lit)
{
    for (; *lit; lit++, i++)
        if (i >= n || s[i] != (Py_UCS4)(unsigned char)*lit)
            return 0;
    return 1;
}

/* End of a run of one or more characters that are neither whitespace nor NUL, from i. */
static inline Py_ssize_t nonspace_run(const Py_UCS4 *s, Py_ssize_t i, Py_ssize_t n)
{
    Py_ssize_t j = i;
    while (j < n && s[j] != 0 && !is_space(s[j]))
        j++;
    return j > i ? j : -1;
}

/* text._LINK at position i: https?://[^\s\x00]+|www\.[^\s\x00]+|\(link\)|\[link\]
   Returns the end of the match, or -1. The alternatives start with different
   characters, so leftmost-first reduces to trying the one that fits s[i]. */
static Py_ssize_t link_end(const Py_UCS4 *s, Py_ssize_t i, Py_ssize_t n)
{
    switch (s[i]) {
    case 'h':
        if (!matches(s, i, n, "http"))
            return -1;
        i += 4;
        if (i < n && s[i] == 's')
            i++;
        return matches(s, i, n, "://") ? nonspace_run(s, i + 3, n) : -1;
    case 'w':
        return matches(s, i, n, "www.") ? nonspace_run(s, i + 4, n) : -1;
    case '(':
        return matches(s, i, n, "(link)") ? i + 6 : -1;
    case '[':
        return matches(s, i, n, "[link]") ? i + 6 : -1;
    default:
        return -1;
    }
}

/* Normalise one post src[0..n) into dst (room for 2n + 3): " tok tok ... tok ".
   A post without tokens is " " (as normalize_joined gives). Returns the length written. */
static Py_ssize_t normalize_post(const Py_UCS4 *src, Py_ssize_t n, Py_UCS4 *dst)
{
    Py_ssize_t i = 0, m = 0;
    int gap = 0, any = 0;
    dst[m++] = ' ';
    while (i < n) {
        Py_UCS4 c = src[i];
        if (c == 'h' || c == 'w' || c == '(' || c == '[') {
            Py_ssize_t end = link_end(src, i, n);
            if (end > 0) {
                gap = 1;
                i = end;
                continue;
            }
        }
        i++;
        if (is_invisible(c))
            continue;
        if (is_control(c) || is_space(c)) {
            gap = 1;
            continue;
        }
        int punct = !(is_word(c) || c == '@' || c == '#');
        if (c >= '1' && c <= '9')
            c = '0';
        if (any && (gap || punct))
            dst[m++] = ' ';
        dst[m++] = c;
        any = 1;
        gap = punct;
    }
    if (any)
        dst[m++] = ' ';
    return m;
}

/* ---------------------------------------------------------------------- scoring */

static inline uint64_t bucket(uint64_t h, uint64_t salt, int shift)  /* features._bucket */
{
    uint64_t x = (h ^ salt) * MIX1;
    x ^= x >> 33;
    x *= MIX2;
    x ^= x >> 29;
    return x >> shift;
}

typedef struct {
    const double *weights;  /* (n_classes, n_features), C order */
    Py_ssize_t n_features;
    Py_ssize_t n_classes;
    int shift;              /* 64 - bits */
    const int *ngrams;
    Py_ssize_t n_ngrams;
} Model;

#define PREFETCH_AHEAD 16

/* out[k] += weights[k, b] * weight for every bucket b in order; the weight rows are
   prefetched a few buckets ahead, since the gathers miss the cache. */
static void add_all(const Model *model, const uint32_t *buckets, Py_ssize_t count, double weight,
                    double *out)
{
    const double *rows = model->weights;
    Py_ssize_t stride = model->n_features, n_classes = model->n_classes;
    for (Py_ssize_t i = 0; i < count; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + PREFETCH_AHEAD < count)
            for (Py_ssize_t k = 0; k < n_classes; k++)
                __builtin_prefetch(rows + k * stride + buckets[i + PREFETCH_AHEAD]);
#endif
        const double *w = rows + buckets[i];
        for (Py_ssize_t k = 0; k < n_classes; k++)
            out[k] += w[k * stride] * weight;
    }
}

/* Add the features of one wrapped post w[0..m) to out[0..n_classes), group by group
   (char n-grams in the given order, words, word bigrams), left to right within a group:
   the order in which numpy.bincount adds them. `word_hash` and `buckets` have room
   for m values. Returns the number of evidence words (features.evidence_words: a word
   with a word character, not an @mention; normalisation leaves longer words made of
   word characters, '@' and '#' only). */
static Py_ssize_t score_post(const Model *model, const Py_UCS4 *w, Py_ssize_t m,
                             uint64_t *word_hash, uint32_t *buckets, double *out)
{
    int shift = model->shift;
    for (Py_ssize_t g = 0; g < model->n_ngrams; g++) {
        int size = model->ngrams[g];
        if (m < size)
            continue;
        Py_ssize_t count = m - size + 1;
        uint64_t salt = CHAR_SALT_INDEX[size] * GOLDEN;
        for (Py_ssize_t start = 0; start < count; start++) {
            uint64_t h = 0;
            for (int j = 0; j < size; j++)
                h = h * HASH_P + w[start + j];
            buckets[start] = (uint32_t)bucket(h, salt, shift);
        }
        add_all(model, buckets, count, 1.0 / sqrt((double)count), out);
    }
    Py_ssize_t n_words = 0, n_evidence = 0;
    for (Py_ssize_t i = 0; i < m;) {
        if (w[i] == ' ') {
            i++;
            continue;
        }
        uint64_t h = 0;
        Py_ssize_t first = i;
        int other = 0;  /* a character other than '@' and '#' */
        for (; i < m && w[i] != ' '; i++) {
            h = h * HASH_P + w[i];
            other |= w[i] != '@' && w[i] != '#';
        }
        if (other && w[first] != '@' && (i - first > 1 || is_word(w[first])))
            n_evidence++;
        buckets[n_words] = (uint32_t)bucket(h, WORD_SALT_INDEX * GOLDEN, shift);
        word_hash[n_words++] = h;
    }
    if (n_words > 0)
        add_all(model, buckets, n_words, 1.0 / sqrt((double)n_words), out);
    for (Py_ssize_t i = 0; i + 1 < n_words; i++)
        buckets[i] = (uint32_t)bucket(word_hash[i] * MIX2 + word_hash[i + 1],
                                      WORD2_SALT_INDEX * GOLDEN, shift);
    if (n_words > 1)
        add_all(model, buckets, n_words - 1, 1.0 / sqrt((double)(n_words - 1)), out);
    return n_evidence;
}

/* ------------------------------------------------------------------- interface */

static int is_float64_format(const char *format)
{
    const uint16_t probe = 1;
    int little = *(const unsigned char *)&probe == 1;
    if (format == NULL)
        return 0;
    if (format[0] == '@' || format[0] == '=' || (format[0] == '<' && little) ||
        (format[0] == '>' && !little) || (format[0] == '!' && !little))
        format++;
    return strcmp(format, "d") == 0;
}

static int read_ngrams(PyObject *obj, int **ngrams, Py_ssize_t *n_ngrams)
{
    PyObject *seq = PySequence_Fast(obj, "char_ngrams must be a sequence of ints");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    *ngrams = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (*ngrams == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long size = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (size == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (size < 1 || size > MAX_NGRAM) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_ValueError, "char n-gram lengths must be in 1..%d, got %ld",
                         MAX_NGRAM, size);
            return -1;
        }
        (*ngrams)[i] = (int)size;
    }
    *n_ngrams = n;
    Py_DECREF(seq);
    return 0;
}

PyDoc_STRVAR(scores_doc,
"scores(prejoined, weights, bits, char_ngrams, evidence=False)\n--\n\n"
"Raw class scores (no bias, no temperature) of every post in ``prejoined``, the\n"
"output of :func:`afzender.text.prejoin` (posts separated by U+0000).\n\n"
"``weights`` is a C-contiguous float64 array of shape ``(n_classes, 2**bits)``;\n"
"``char_ngrams`` the char n-gram lengths (each 1..8). Returns a float64 numpy array\n"
"of shape ``(n_posts, n_classes)``, equal to the numpy path of LinearModel. With\n"
"``evidence`` true, returns ``(scores, evidence)``: also the float64 number of evidence\n"
"words of each post, as :func:`afzender.features.evidence_words` counts them.");

static PyObject *fastcore_scores(PyObject *self, PyObject *args)
{
    PyObject *text, *weights_obj, *ngrams_obj, *result = NULL, *counts = NULL;
    int bits, with_evidence = 0;
    int *ngrams = NULL;
    Py_ssize_t n_ngrams = 0;
    Py_buffer wview = {0}, oview = {0}, eview = {0};
    Py_UCS4 *codes = NULL, *wrapped = NULL;
    uint64_t *word_hash = NULL;
    uint32_t *buckets = NULL;
    (void)self;

    if (!PyArg_ParseTuple(args, "UOiO|p:scores", &text, &weights_obj, &bits, &ngrams_obj,
                          &with_evidence))
        return NULL;
    if (bits < 1 || bits > 32)
        return PyErr_Format(PyExc_ValueError, "bits must be in 1..32, got %d", bits);
    if (read_ngrams(ngrams_obj, &ngrams, &n_ngrams) < 0)
        goto done;
    if (PyObject_GetBuffer(weights_obj, &wview, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        goto done;
    if (wview.ndim != 2 || wview.itemsize != 8 || !is_float64_format(wview.format) ||
        wview.shape[1] != ((Py_ssize_t)1 << bits)) {
        PyErr_Format(PyExc_ValueError, "weights must be a C-contiguous float64 array of shape "
                     "(n_classes, 2**%d)", bits);
        goto done;
    }
    Model model = {(const double *)wview.buf, wview.shape[1], wview.shape[0], 64 - bits,
                   ngrams, n_ngrams};

    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    codes = PyUnicode_AsUCS4Copy(text);
    if (codes == NULL)
        goto done;
    Py_ssize_t n_docs = 1, longest = 0, start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || codes[i] == 0) {
            if (i - start > longest)
                longest = i - start > MAX_CHARS ? MAX_CHARS : i - start;
            start = i + 1;
            n_docs += i < n;
        }
    }
    result = PyObject_CallFunction(numpy_zeros, "((nn))", n_docs, model.n_classes);
    if (result == NULL)
        goto done;
    if (PyObject_GetBuffer(result, &oview, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_CLEAR(result);
        goto done;
    }
    counts = PyObject_CallFunction(numpy_zeros, "((n))", n_docs);
    if (counts == NULL || PyObject_GetBuffer(counts, &eview, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_CLEAR(result);
        goto done;
    }
    wrapped = PyMem_Malloc((size_t)(2 * longest + 3) * sizeof(Py_UCS4));
    word_hash = PyMem_Malloc((size_t)(2 * longest + 3) * sizeof(uint64_t));
    buckets = PyMem_Malloc((size_t)(2 * longest + 3) * sizeof(uint32_t));
    if (wrapped == NULL || word_hash == NULL || buckets == NULL) {
        PyErr_NoMemory();
        Py_CLEAR(result);
        goto done;
    }

    Py_BEGIN_ALLOW_THREADS
    double *out = (double *)oview.buf, *evidence = (double *)eview.buf;
    Py_ssize_t doc = 0;
    start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i < n && codes[i] != 0)
            continue;
        Py_ssize_t m = normalize_post(codes + start, i - start > MAX_CHARS ? MAX_CHARS : i - start,
                                      wrapped);
        evidence[doc] = (double)score_post(&model, wrapped, m, word_hash, buckets,
                                           out + doc * model.n_classes);
        doc++;
        start = i + 1;
    }
    Py_END_ALLOW_THREADS

done:
    if (oview.obj != NULL)
        PyBuffer_Release(&oview);
    if (eview.obj != NULL)
        PyBuffer_Release(&eview);
    if (result != NULL && with_evidence) {
        PyObject *pair = PyTuple_Pack(2, result, counts);
        Py_DECREF(result);
        result = pair;
    }
    Py_XDECREF(counts);
    if (wview.obj != NULL)
        PyBuffer_Release(&wview);
    PyMem_Free(codes);
    PyMem_Free(wrapped);
    PyMem_Free(word_hash);
    PyMem_Free(buckets);
    PyMem_Free(ngrams);
    return result;
}

static PyMethodDef fastcore_methods[] = {
    {"scores", fastcore_scores, METH_VARARGS, scores_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fastcore_module = {
    PyModuleDef_HEAD_INIT, "afzender._fastcore",
    "Optional C core of the linear model's batch scoring (see afzender.linear).", -1,
    fastcore_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastcore(void)
{
    PyObject *numpy = PyImport_ImportModule("numpy");
    if (numpy == NULL)
        return NULL;
    numpy_zeros = PyObject_GetAttrString(numpy, "zeros");
    Py_DECREF(numpy);
    if (numpy_zeros == NULL)
        return NULL;
    PyObject *module = PyModule_Create(&fastcore_module);
    if (module == NULL)
        return NULL;
    PyObject *salts = Py_BuildValue(
        "{sKsKsKsKsKsKsKsKsKsK}", "char1", 7 * GOLDEN, "char2", 1 * GOLDEN, "char3", 2 * GOLDEN,
        "char4", 3 * GOLDEN, "char5", 4 * GOLDEN, "char6", 8 * GOLDEN, "char7", 9 * GOLDEN,
        "char8", 10 * GOLDEN, "word", WORD_SALT_INDEX * GOLDEN, "word2", WORD2_SALT_INDEX * GOLDEN);
    if (PyModule_AddIntConstant(module, "API", 2) < 0 ||  /* 2: scores(..., evidence) */
        PyModule_AddIntConstant(module, "MAX_CHARS", MAX_CHARS) < 0 ||
        salts == NULL || PyModule_AddObject(module, "SALTS", salts) < 0) {
        Py_XDECREF(salts);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
