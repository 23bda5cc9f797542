/* shujian.text._native — the per-message loop of the shujian_text SQL function in C.
 *
 * Why C: a large city's prepaid-card model screens ≈ 1.1 M hotline messages; the same loop in Python
 * (shujian.text.matcher.Matcher.words and shujian.text.merchants.first_merchant) costs ≈ 20 µs a
 * message in Python objects and calls per occurrence, most of the model's time (docs/benchmarks.md).
 * This file is that loop and nothing else: it is handed the tables the Python code builds
 * (shujian.text.native) and computes exactly what the Python functions return; the regular
 * expressions of a rule and the merchant key stay Python (called back from here, few per message).
 * Optional: without a compiler the package installs without it and the Python code runs
 * (tests/text/test_native.py compares both).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the interpreter lock
 * screen_arrow screens a batch's messages without the interpreter lock (DuckDB calls the SQL function
 * from each of its threads: they screen at once). There, the code below must not touch a Python object
 * but the tables it only reads; an allocation that fails says so by returning -1 and the caller raises
 * MemoryError once it holds the lock again. */
static _Thread_local int without_gil;

static void no_memory(void) {
    if (!without_gil) PyErr_NoMemory();
}

/* ------------------------------------------------------------------ growable vectors */
typedef struct { int32_t *v; Py_ssize_t n, cap; } IVec;

static int ivec_push(IVec *a, int32_t x) {
    if (a->n == a->cap) {
        Py_ssize_t cap = a->cap ? a->cap * 2 : 64;
        int32_t *v = (int32_t *)realloc(a->v, (size_t)cap * sizeof(int32_t));
        if (!v) { no_memory(); return -1; }
        a->v = v; a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* ------------------------------------------------------------------ Aho–Corasick automaton
 * Reports every occurrence of every word (overlapping ones too), at its last character, as
 * pyahocorasick's iter does; the order of several words ending at one position is not kept (no
 * caller depends on it). Transitions in one open-addressing hash keyed by (node, character). */
typedef struct {
    int32_t nnodes;
    int32_t *fail, *dict, *out;     /* out: the word ending here (index) or -1; dict: next node with out */
    int32_t *first, *next;          /* build only: children lists */
    Py_UCS4 *ch;
    uint64_t *hkeys; int32_t *hvals; uint64_t hmask;
    uint8_t *bmp;                   /* characters of the Basic Multilingual Plane some word holds */
    int astral;                     /* a word holds a character outside it */
    int32_t nwords;
    int32_t *wlen;                  /* word index → length */
    /* a small automaton's full transition table: alpha (65536) maps a character of the Basic
     * Multilingual Plane some word holds to 1…nalpha (0: none), delta[node * (nalpha + 1) + x] is the
     * next node — one lookup a character instead of hash probes along failure links */
    uint16_t *alpha; int32_t nalpha; int32_t *delta;
} AC;

#define HKEY(node, c) (((uint64_t)(uint32_t)(node) << 21) | (uint64_t)(c))
#define HEMPTY UINT64_MAX

static uint64_t hmix(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33; return k;
}

static int32_t ac_child(const AC *a, int32_t node, Py_UCS4 c) {
    uint64_t key = HKEY(node, c), i = hmix(key) & a->hmask;
    for (;;) {
        uint64_t k = a->hkeys[i];
        if (k == key) return a->hvals[i];
        if (k == HEMPTY) return -1;
        i = (i + 1) & a->hmask;
    }
}

static void ac_free(AC *a) {
    free(a->fail); free(a->dict); free(a->out); free(a->first); free(a->next); free(a->ch);
    free(a->hkeys); free(a->hvals); free(a->bmp); free(a->wlen); free(a->alpha); free(a->delta);
    memset(a, 0, sizeof(*a));
}

/* Build from a list of str (word i gets index i; an empty word is refused). 0 ok, -1 error set. */
static int ac_build(AC *a, PyObject *words) {
    memset(a, 0, sizeof(*a));
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (!seq) return -1;
    Py_ssize_t nw = PySequence_Fast_GET_SIZE(seq), total = 1;
    for (Py_ssize_t i = 0; i < nw; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(w) || PyUnicode_GET_LENGTH(w) == 0) {
            Py_DECREF(seq); PyErr_SetString(PyExc_ValueError, "words must be non-empty str"); return -1;
        }
        total += PyUnicode_GET_LENGTH(w);
    }
    a->fail = calloc(total, sizeof(int32_t)); a->dict = calloc(total, sizeof(int32_t));
    a->out = malloc(total * sizeof(int32_t)); a->first = malloc(total * sizeof(int32_t));
    a->next = malloc(total * sizeof(int32_t)); a->ch = calloc(total, sizeof(Py_UCS4));
    a->bmp = calloc(8192, 1); a->wlen = malloc((nw ? nw : 1) * sizeof(int32_t));
    uint64_t hcap = 16;
    while (hcap < (uint64_t)total * 2) hcap <<= 1;
    a->hkeys = malloc(hcap * sizeof(uint64_t)); a->hvals = malloc(hcap * sizeof(int32_t)); a->hmask = hcap - 1;
    if (!a->fail || !a->dict || !a->out || !a->first || !a->next || !a->ch || !a->bmp || !a->wlen
            || !a->hkeys || !a->hvals) {
        Py_DECREF(seq); ac_free(a); PyErr_NoMemory(); return -1;
    }
    memset(a->hkeys, 0xff, hcap * sizeof(uint64_t));
    a->nnodes = 1; a->out[0] = -1; a->first[0] = -1; a->next[0] = -1;
    a->nwords = (int32_t)nw;
    for (Py_ssize_t i = 0; i < nw; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(w);
        int kind = PyUnicode_KIND(w); const void *data = PyUnicode_DATA(w);
        int32_t node = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            if (c < 65536) a->bmp[c >> 3] |= (uint8_t)(1u << (c & 7)); else a->astral = 1;
            int32_t child = ac_child(a, node, c);
            if (child < 0) {
                child = a->nnodes++;
                a->out[child] = -1; a->first[child] = -1; a->ch[child] = c;
                a->next[child] = a->first[node]; a->first[node] = child;
                uint64_t key = HKEY(node, c), h = hmix(key) & a->hmask;
                while (a->hkeys[h] != HEMPTY) h = (h + 1) & a->hmask;
                a->hkeys[h] = key; a->hvals[h] = child;
            }
            node = child;
        }
        a->out[node] = (int32_t)i;              /* a repeated word: the last index (as add_word) */
        a->wlen[i] = (int32_t)n;
    }
    Py_DECREF(seq);
    /* breadth first: failure and dictionary links */
    int32_t *queue = malloc(a->nnodes * sizeof(int32_t));
    if (!queue) { ac_free(a); PyErr_NoMemory(); return -1; }
    Py_ssize_t qh = 0, qt = 0;
    for (int32_t c = a->first[0]; c >= 0; c = a->next[c]) { a->fail[c] = 0; a->dict[c] = 0; queue[qt++] = c; }
    while (qh < qt) {
        int32_t u = queue[qh++];
        for (int32_t v = a->first[u]; v >= 0; v = a->next[v]) {
            int32_t f = a->fail[u], g;
            for (;;) {
                g = ac_child(a, f, a->ch[v]);
                if (g >= 0 || f == 0) break;
                f = a->fail[f];
            }
            a->fail[v] = (g >= 0 && g != v) ? g : 0;
            a->dict[v] = a->out[a->fail[v]] >= 0 ? a->fail[v] : a->dict[a->fail[v]];
            queue[qt++] = v;
        }
    }
    /* the full table, when small enough (≤ 4 M entries) */
    int32_t nalpha = 0;
    Py_UCS4 *chars = malloc(65536 * sizeof(Py_UCS4));
    uint16_t *alpha = calloc(65536, sizeof(uint16_t));
    if (!chars || !alpha) { free(chars); free(alpha); free(queue); ac_free(a); PyErr_NoMemory(); return -1; }
    for (Py_UCS4 c = 0; c < 65536; c++)
        if (a->bmp[c >> 3] & (1u << (c & 7))) { alpha[c] = (uint16_t)++nalpha; chars[nalpha] = c; }
    if (nalpha < 65535 && (int64_t)a->nnodes * (nalpha + 1) <= 4 * 1024 * 1024) {
        int32_t w = nalpha + 1, *delta = calloc((size_t)a->nnodes * w, sizeof(int32_t));
        if (delta) {
            for (int32_t x = 1; x < w; x++) { int32_t g = ac_child(a, 0, chars[x]); delta[x] = g > 0 ? g : 0; }
            for (Py_ssize_t q = 0; q < qt; q++) {
                int32_t u = queue[q];
                for (int32_t x = 1; x < w; x++) {
                    int32_t g = ac_child(a, u, chars[x]);
                    delta[(size_t)u * w + x] = g >= 0 ? g : delta[(size_t)a->fail[u] * w + x];
                }
            }
            a->alpha = alpha; a->nalpha = nalpha; a->delta = delta;
            alpha = NULL;
        }
    }
    free(alpha); free(chars);
    free(queue);
    return 0;
}

static inline int32_t ac_step(const AC *a, int32_t node, Py_UCS4 c) {
    if (c < 65536 && a->delta) {
        uint16_t x = a->alpha[c];
        return x ? a->delta[(size_t)node * (a->nalpha + 1) + x] : 0;
    }
    if (c < 65536) { if (!(a->bmp[c >> 3] & (1u << (c & 7)))) return 0; }
    else if (!a->astral) return 0;
    for (;;) {
        int32_t g = ac_child(a, node, c);
        if (g >= 0) return g;
        if (node == 0) return 0;
        node = a->fail[node];
    }
}

/* the first output node at ``node`` (itself or along dictionary links), 0 for none */
static inline int32_t ac_outputs(const AC *a, int32_t node) {
    return a->out[node] >= 0 ? node : a->dict[node];
}

/* ------------------------------------------------------------------ helpers */
static int32_t *int_array(PyObject *obj, Py_ssize_t *n_out) {
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of int");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int32_t *v = malloc((n ? n : 1) * sizeof(int32_t));
    if (!v) { Py_DECREF(seq); PyErr_NoMemory(); return NULL; }
    for (Py_ssize_t i = 0; i < n; i++) {
        long x = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (x == -1 && PyErr_Occurred()) { free(v); Py_DECREF(seq); return NULL; }
        v[i] = (int32_t)x;
    }
    Py_DECREF(seq);
    if (n_out) *n_out = n;
    return v;
}

/* A set of short strings in C (the 行政区划 names, the generic words): a lookup of a slice of the text
 * without making a Python string of it */
typedef struct {
    uint64_t *hash; int32_t *off, *len; uint64_t mask;
    Py_UCS4 *pool;
    int32_t *lens; int32_t nlens;       /* the lengths present, longest first */
} CSet;

static uint64_t slice_hash(const Py_UCS4 *t, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++) { h ^= t[i]; h *= 1099511628211ULL; }
    return h | 1;                       /* 0: an empty slot */
}

static void cset_free(CSet *c) {
    free(c->hash); free(c->off); free(c->len); free(c->pool); free(c->lens);
    memset(c, 0, sizeof(*c));
}

static int cset_build(CSet *c, PyObject *items) {
    memset(c, 0, sizeof(*c));
    PyObject *seq = PySequence_Fast(items, "expected an iterable of str");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(x)) { Py_DECREF(seq); PyErr_SetString(PyExc_TypeError, "expected str"); return -1; }
        total += PyUnicode_GET_LENGTH(x);
    }
    uint64_t cap = 16;
    while (cap < (uint64_t)n * 2 + 2) cap <<= 1;
    c->hash = calloc(cap, sizeof(uint64_t)); c->off = malloc(cap * sizeof(int32_t));
    c->len = malloc(cap * sizeof(int32_t)); c->pool = malloc((total + 1) * sizeof(Py_UCS4));
    c->lens = calloc(256, sizeof(int32_t)); c->mask = cap - 1;
    uint8_t seen[256] = {0};
    if (!c->hash || !c->off || !c->len || !c->pool || !c->lens) { Py_DECREF(seq); cset_free(c); PyErr_NoMemory(); return -1; }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t len = PyUnicode_GET_LENGTH(x);
        if (len > 255) { Py_DECREF(seq); cset_free(c); PyErr_SetString(PyExc_ValueError, "a word of ≤ 255 characters"); return -1; }
        int kind = PyUnicode_KIND(x); const void *data = PyUnicode_DATA(x);
        for (Py_ssize_t j = 0; j < len; j++) c->pool[at + j] = PyUnicode_READ(kind, data, j);
        uint64_t h = slice_hash(c->pool + at, len), k = h & c->mask;
        while (c->hash[k]) k = (k + 1) & c->mask;
        c->hash[k] = h; c->off[k] = (int32_t)at; c->len[k] = (int32_t)len;
        at += len;
        seen[len] = 1;
    }
    Py_DECREF(seq);
    for (int len = 255; len >= 0; len--) if (seen[len]) c->lens[c->nlens++] = len;
    return 0;
}

static int64_t cset_slot(const CSet *c, const Py_UCS4 *t, Py_ssize_t n) {
    uint64_t h = slice_hash(t, n), k = h & c->mask;
    while (c->hash[k]) {
        if (c->hash[k] == h && c->len[k] == n && memcmp(c->pool + c->off[k], t, n * sizeof(Py_UCS4)) == 0)
            return (int64_t)k;
        k = (k + 1) & c->mask;
    }
    return -1;
}

static int cset_has(const CSet *c, const Py_UCS4 *t, Py_ssize_t n) {
    uint64_t h = slice_hash(t, n), k = h & c->mask;
    while (c->hash[k]) {
        if (c->hash[k] == h && c->len[k] == n && memcmp(c->pool + c->off[k], t, n * sizeof(Py_UCS4)) == 0) return 1;
        k = (k + 1) & c->mask;
    }
    return 0;
}

/* stable merge sort of idx[0..n) by key[idx[i]] */
static void stable_sort(int32_t *idx, Py_ssize_t n, const int32_t *key, int32_t *tmp) {
    if (n < 2) return;
    if (n <= 16) {
        for (Py_ssize_t i = 1; i < n; i++) {
            int32_t x = idx[i]; Py_ssize_t j = i;
            while (j > 0 && key[idx[j - 1]] > key[x]) { idx[j] = idx[j - 1]; j--; }
            idx[j] = x;
        }
        return;
    }
    Py_ssize_t h = n / 2;
    stable_sort(idx, h, key, tmp);
    stable_sort(idx + h, n - h, key, tmp);
    Py_ssize_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = key[idx[j]] < key[idx[i]] ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(int32_t));
}

/* ------------------------------------------------------------------ regex terms
 * A rule's regular-expression terms in the few shapes they take (literals, classes of literals and
 * ranges, negated classes, '.', groups, alternations, greedy repeats of one character), as the program
 * shujian.text.native._program writes from Python's own parse of the pattern, matched the way Python's
 * re does (backtracking, alternatives in order, a repeat as long as it can and then shorter): what
 * ``pattern.match(text, at).end()`` gives, without a call into Python per try. A term of any other shape
 * calls its pattern's ``match``. Program: a sequence of nodes ending with RX_END;
 *   RX_SET n negate lo1 hi1 … lo_n hi_n        one character in (or, negated, not in) the ranges
 *   RX_REP min max <RX_SET …>                  the character greedily, min to max times
 *   RX_BRANCH nalt skip (len <sequence>)…      alternatives; skip: from RX_BRANCH to what follows */
enum { RX_END = 0, RX_SET = 1, RX_REP = 2, RX_BRANCH = 3 };

typedef struct RxCont { const int32_t *pc; const struct RxCont *next; } RxCont;

static inline int rx_set_len(const int32_t *pc) { return 3 + 2 * pc[1]; }

static inline int rx_in(const int32_t *pc, Py_UCS4 c) {
    int in = 0;
    for (int32_t i = 0; i < pc[1]; i++)
        if ((int64_t)c >= pc[3 + 2 * i] && (int64_t)c <= pc[4 + 2 * i]) { in = 1; break; }
    return in != pc[2];
}

static Py_ssize_t rx_run(const int32_t *pc, const Py_UCS4 *t, Py_ssize_t pos, Py_ssize_t n, const RxCont *k,
                         int depth) {
    if (depth > 200) return -2;                         /* not expected: the Python call decides */
    for (;;) {
        switch (pc[0]) {
        case RX_END:
            if (!k) return pos;
            pc = k->pc; k = k->next;
            continue;
        case RX_SET:
            if (pos >= n || !rx_in(pc, t[pos])) return -1;
            pos++; pc += rx_set_len(pc);
            continue;
        case RX_REP: {
            const int32_t *set = pc + 3, *rest = set + rx_set_len(set);
            Py_ssize_t c = 0, lo = pc[1], hi = pc[2];
            while (c < hi && pos + c < n && rx_in(set, t[pos + c])) c++;
            for (; c >= lo; c--) {
                Py_ssize_t r = rx_run(rest, t, pos + c, n, k, depth + 1);
                if (r != -1) return r;
            }
            return -1;
        }
        case RX_BRANCH: {
            RxCont after = {pc + pc[2], k};
            const int32_t *alt = pc + 3;
            for (int32_t i = 0; i < pc[1]; i++) {
                Py_ssize_t r = rx_run(alt + 1, t, pos, n, &after, depth + 1);
                if (r != -1) return r;
                alt += 1 + alt[0];
            }
            return -1;
        }
        default:
            return -2;
        }
    }
}

/* ------------------------------------------------------------------ Rule */
typedef struct {
    PyObject_HEAD
    AC ac;
    int32_t *w_rank;            /* automaton word → term rank or -1 */
    uint8_t *w_ignore, *w_ctx;  /* an idiom (惯用语); a context word of an unless clause */
    int32_t *w_rx_off, *w_rx_n, *rx_ranks;   /* regex ranks the word (one character) can start */
    int32_t nterms;
    int32_t *t_len;             /* literal term length; -1 for a regex term */
    PyObject **t_match;         /* regex term: its compiled pattern's bound ``match`` */
    int32_t **t_prog;           /* regex term: its program (see rx_run), or NULL: t_match is called */
    int32_t n_rx, *rx_list;     /* the regex terms' ranks, ascending (the ranks with a t_match) */
    uint8_t *t_positive, *t_any;
    PyObject *pre_search;       /* the positive regex terms' ``search`` (or NULL) */
    int32_t nclauses;
    int32_t *c_before, *c_after;
    uint8_t *c_word;            /* nclauses × nwords: the clause's context holds the word */
    int32_t *t_cl_off, *t_cl_n, *cl_list;    /* rank → the clauses that apply to it */
    int32_t n_all, n_excl, *all_r, *excl_r;
    int32_t nnear;
    int32_t *n_within; uint8_t *n_ordered;
    int32_t *n_apos, *n_bpos;   /* nnear × nterms: place in the clause's a / b list, -1 absent */
} Rule;

static void Rule_dealloc(Rule *r) {
    ac_free(&r->ac);
    free(r->w_rank); free(r->w_ignore); free(r->w_ctx); free(r->w_rx_off); free(r->w_rx_n); free(r->rx_ranks);
    if (r->t_match) { for (int32_t i = 0; i < r->nterms; i++) Py_XDECREF(r->t_match[i]); free(r->t_match); }
    if (r->t_prog) { for (int32_t i = 0; i < r->nterms; i++) free(r->t_prog[i]); free(r->t_prog); }
    free(r->t_len); free(r->t_positive); free(r->t_any); free(r->rx_list);
    Py_XDECREF(r->pre_search);
    free(r->c_before); free(r->c_after); free(r->c_word); free(r->t_cl_off); free(r->t_cl_n); free(r->cl_list);
    free(r->all_r); free(r->excl_r); free(r->n_within); free(r->n_ordered); free(r->n_apos); free(r->n_bpos);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

/* Rule(words, roles, terms, pre_search, clauses, clauses_for, all, exclude, near)
 *   roles[i] = (rank, ignore, context, (regex ranks…)) of words[i]
 *   terms[rank] = (length or -1, pattern.match or None, positive, any, program or None)
 *   clauses[c] = (before, after, (word indices of its context…))
 *   clauses_for[rank] = (clause indices…)
 *   near[k] = (within, ordered, a_pos per rank, b_pos per rank) */
static int Rule_init(Rule *r, PyObject *args, PyObject *kw) {
    PyObject *words, *roles, *terms, *pre, *clauses, *cfor, *all, *excl, *near;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO", &words, &roles, &terms, &pre, &clauses, &cfor, &all, &excl, &near))
        return -1;
    if (ac_build(&r->ac, words) < 0) return -1;
    int32_t nw = r->ac.nwords;
    Py_ssize_t n;
    r->w_rank = malloc((nw + 1) * sizeof(int32_t)); r->w_ignore = calloc(nw + 1, 1); r->w_ctx = calloc(nw + 1, 1);
    r->w_rx_off = malloc((nw + 1) * sizeof(int32_t)); r->w_rx_n = malloc((nw + 1) * sizeof(int32_t));
    if (!r->w_rank || !r->w_ignore || !r->w_ctx || !r->w_rx_off || !r->w_rx_n) { PyErr_NoMemory(); return -1; }
    if (PySequence_Size(roles) != nw) { PyErr_SetString(PyExc_ValueError, "one role per word"); return -1; }
    IVec rx = {0};
    for (int32_t i = 0; i < nw; i++) {
        PyObject *role = PySequence_GetItem(roles, i);
        PyObject *rxs = NULL;
        int ig = 0, cx = 0;
        long rank;
        if (!role || !PyArg_ParseTuple(role, "lppO", &rank, &ig, &cx, &rxs)) { Py_XDECREF(role); free(rx.v); return -1; }
        r->w_rank[i] = (int32_t)rank; r->w_ignore[i] = (uint8_t)ig; r->w_ctx[i] = (uint8_t)cx;
        Py_ssize_t m;
        int32_t *v = int_array(rxs, &m);
        Py_DECREF(role);
        if (!v) { free(rx.v); return -1; }
        r->w_rx_off[i] = (int32_t)rx.n; r->w_rx_n[i] = (int32_t)m;
        for (Py_ssize_t j = 0; j < m; j++) if (ivec_push(&rx, v[j]) < 0) { free(v); free(rx.v); return -1; }
        free(v);
    }
    r->rx_ranks = rx.v ? rx.v : malloc(sizeof(int32_t));
    n = PySequence_Size(terms);
    if (n < 0) return -1;
    r->nterms = (int32_t)n;
    r->t_len = malloc((n + 1) * sizeof(int32_t)); r->t_match = calloc(n + 1, sizeof(PyObject *));
    r->t_prog = calloc(n + 1, sizeof(int32_t *));
    r->t_positive = calloc(n + 1, 1); r->t_any = calloc(n + 1, 1);
    if (!r->t_len || !r->t_match || !r->t_prog || !r->t_positive || !r->t_any) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_GetItem(terms, i), *m = NULL, *prog = NULL;
        long len; int pos = 0, any = 0;
        if (!t || !PyArg_ParseTuple(t, "lOppO", &len, &m, &pos, &any, &prog)) { Py_XDECREF(t); return -1; }
        r->t_len[i] = (int32_t)len; r->t_positive[i] = (uint8_t)pos; r->t_any[i] = (uint8_t)any;
        if (m != Py_None) { Py_INCREF(m); r->t_match[i] = m; }
        if (prog != Py_None && !(r->t_prog[i] = int_array(prog, NULL))) { Py_DECREF(t); return -1; }
        Py_DECREF(t);
    }
    r->rx_list = malloc((r->nterms + 1) * sizeof(int32_t));
    if (!r->rx_list) { PyErr_NoMemory(); return -1; }
    for (int32_t i = 0; i < r->nterms; i++) if (r->t_match[i]) r->rx_list[r->n_rx++] = i;
    if (pre != Py_None) { Py_INCREF(pre); r->pre_search = pre; }
    n = PySequence_Size(clauses);
    if (n < 0) return -1;
    r->nclauses = (int32_t)n;
    r->c_before = malloc((n + 1) * sizeof(int32_t)); r->c_after = malloc((n + 1) * sizeof(int32_t));
    r->c_word = calloc((size_t)(n + 1) * (nw + 1), 1);
    if (!r->c_before || !r->c_after || !r->c_word) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t c = 0; c < n; c++) {
        PyObject *cl = PySequence_GetItem(clauses, c), *ws = NULL;
        long before, after;
        if (!cl || !PyArg_ParseTuple(cl, "llO", &before, &after, &ws)) { Py_XDECREF(cl); return -1; }
        r->c_before[c] = (int32_t)before; r->c_after[c] = (int32_t)after;
        Py_ssize_t m;
        int32_t *v = int_array(ws, &m);
        Py_DECREF(cl);
        if (!v) return -1;
        for (Py_ssize_t j = 0; j < m; j++) if (v[j] >= 0 && v[j] < nw) r->c_word[(size_t)c * nw + v[j]] = 1;
        free(v);
    }
    if (PySequence_Size(cfor) != r->nterms) { PyErr_SetString(PyExc_ValueError, "clauses per term"); return -1; }
    IVec cl = {0};
    r->t_cl_off = malloc((r->nterms + 1) * sizeof(int32_t)); r->t_cl_n = malloc((r->nterms + 1) * sizeof(int32_t));
    if (!r->t_cl_off || !r->t_cl_n) { PyErr_NoMemory(); return -1; }
    for (int32_t i = 0; i < r->nterms; i++) {
        PyObject *item = PySequence_GetItem(cfor, i);
        if (!item) { free(cl.v); return -1; }
        Py_ssize_t m;
        int32_t *v = int_array(item, &m);
        Py_DECREF(item);
        if (!v) { free(cl.v); return -1; }
        r->t_cl_off[i] = (int32_t)cl.n; r->t_cl_n[i] = (int32_t)m;
        for (Py_ssize_t j = 0; j < m; j++) if (ivec_push(&cl, v[j]) < 0) { free(v); free(cl.v); return -1; }
        free(v);
    }
    r->cl_list = cl.v ? cl.v : malloc(sizeof(int32_t));
    Py_ssize_t na, ne;
    if (!(r->all_r = int_array(all, &na)) || !(r->excl_r = int_array(excl, &ne))) return -1;
    r->n_all = (int32_t)na; r->n_excl = (int32_t)ne;
    n = PySequence_Size(near);
    if (n < 0) return -1;
    r->nnear = (int32_t)n;
    r->n_within = malloc((n + 1) * sizeof(int32_t)); r->n_ordered = calloc(n + 1, 1);
    r->n_apos = malloc(((size_t)n * r->nterms + 1) * sizeof(int32_t));
    r->n_bpos = malloc(((size_t)n * r->nterms + 1) * sizeof(int32_t));
    if (!r->n_within || !r->n_ordered || !r->n_apos || !r->n_bpos) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *cl2 = PySequence_GetItem(near, k), *ap = NULL, *bp = NULL;
        long within; int ordered = 0;
        if (!cl2 || !PyArg_ParseTuple(cl2, "lpOO", &within, &ordered, &ap, &bp)) { Py_XDECREF(cl2); return -1; }
        r->n_within[k] = (int32_t)within; r->n_ordered[k] = (uint8_t)ordered;
        Py_ssize_t ma, mb;
        int32_t *va = int_array(ap, &ma), *vb = va ? int_array(bp, &mb) : NULL;
        Py_DECREF(cl2);
        if (!va || !vb || ma != r->nterms || mb != r->nterms) {
            free(va); free(vb);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a place per term");
            return -1;
        }
        memcpy(r->n_apos + (size_t)k * r->nterms, va, r->nterms * sizeof(int32_t));
        memcpy(r->n_bpos + (size_t)k * r->nterms, vb, r->nterms * sizeof(int32_t));
        free(va); free(vb);
    }
    return 0;
}

static PyTypeObject RuleType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shujian.text._native.Rule",
    .tp_basicsize = sizeof(Rule),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Rule_init,
    .tp_dealloc = (destructor)Rule_dealloc,
    .tp_doc = "A text rule's tables (shujian.text.native.rule builds it).",
};

/* ------------------------------------------------------------------ Merchants */
typedef struct {
    PyObject_HEAD
    AC biz, cut, shop;
    int32_t *cut_len;           /* cut word → its length (the first place in _CUT_WORDS) */
    int32_t cut_rank_after;     /* the automaton index of 后 (skipped after 课) */
    int32_t *cut_rank;          /* automaton word → its place in _CUT_WORDS */
    PyObject *generic, *divisions;
    CSet generic_c, divisions_c, div_starts;     /* div_starts: the names' first two characters */
    uint64_t *div_lengths;      /* per slot of div_starts: bit n set when a name of n characters starts so */
    int32_t max_name;
    /* merchant_key of a plain name (company_base, then _key_of_base), see key_fast */
    PyObject *key_of;           /* merchants.merchant_key: every other name */
    Py_UCS4 *plain;             /* 65536: a character's half-width, simplified, upper-case form; 0: other */
    CSet nulls_c;               /* the entity package's null markers */
    Py_ssize_t n_branch, n_forms, n_trail;
    PyObject **branch, **forms, **trail;   /* branch endings; legal forms, longest first; trailing words */
    Py_UCS4 *branch_last, *forms_last, *trail_first;     /* their last (first) characters: a quick test */
} Merchants;

static void Merchants_dealloc(Merchants *m) {
    ac_free(&m->biz); ac_free(&m->cut); ac_free(&m->shop);
    cset_free(&m->generic_c); cset_free(&m->divisions_c); cset_free(&m->div_starts); free(m->div_lengths);
    free(m->cut_len); free(m->cut_rank); free(m->plain);
    free(m->branch_last); free(m->forms_last); free(m->trail_first);
    Py_XDECREF(m->generic); Py_XDECREF(m->divisions); Py_XDECREF(m->key_of);
    cset_free(&m->nulls_c);
    PyObject **lists[] = {m->branch, m->forms, m->trail};
    Py_ssize_t sizes[] = {m->n_branch, m->n_forms, m->n_trail};
    for (int k = 0; k < 3; k++) {
        if (!lists[k]) continue;
        for (Py_ssize_t i = 0; i < sizes[k]; i++) Py_XDECREF(lists[k][i]);
        free(lists[k]);
    }
    Py_TYPE(m)->tp_free((PyObject *)m);
}

static PyObject **str_list(PyObject *obj, Py_ssize_t *n) {
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of str");
    if (!seq) return NULL;
    *n = PySequence_Fast_GET_SIZE(seq);
    PyObject **v = calloc(*n + 1, sizeof(PyObject *));
    if (!v) { Py_DECREF(seq); PyErr_NoMemory(); return NULL; }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(x) || !PyUnicode_GET_LENGTH(x)) {
            for (Py_ssize_t j = 0; j < i; j++) Py_DECREF(v[j]);
            free(v); Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "expected non-empty str");
            return NULL;
        }
        Py_INCREF(x); v[i] = x;
    }
    Py_DECREF(seq);
    return v;
}

/* Merchants(business_words, cut_words, cut_places, cut_lengths_by_place, after_place, shop_words,
 *           generic, divisions, max_name,
 *           merchant_key, plain_map, null_markers, branch_endings, legal_forms, trail_words) */
static int Merchants_init(Merchants *m, PyObject *args, PyObject *kw) {
    PyObject *biz, *cut, *places, *lens, *shop, *generic, *divisions, *key_of, *branch, *forms, *trail;
    PyObject *nulls;
    Py_buffer plain;
    long after, max_name;
    if (!PyArg_ParseTuple(args, "OOOOlOOOlOy*OOOO", &biz, &cut, &places, &lens, &after, &shop, &generic,
                          &divisions, &max_name, &key_of, &plain, &nulls, &branch, &forms, &trail))
        return -1;
    if (plain.len != 65536 * (Py_ssize_t)sizeof(Py_UCS4) || max_name > 60) {
        PyBuffer_Release(&plain);
        PyErr_SetString(PyExc_ValueError, "plain_map: 65536 code points; max_name ≤ 60");
        return -1;
    }
    m->plain = malloc(plain.len);
    if (!m->plain) { PyBuffer_Release(&plain); PyErr_NoMemory(); return -1; }
    memcpy(m->plain, plain.buf, plain.len);
    PyBuffer_Release(&plain);
    Py_INCREF(key_of); m->key_of = key_of;
    if (cset_build(&m->nulls_c, nulls) < 0) return -1;
    if (!(m->branch = str_list(branch, &m->n_branch)) || !(m->forms = str_list(forms, &m->n_forms))
            || !(m->trail = str_list(trail, &m->n_trail)))
        return -1;
    m->branch_last = malloc((m->n_branch + 1) * sizeof(Py_UCS4));
    m->forms_last = malloc((m->n_forms + 1) * sizeof(Py_UCS4));
    m->trail_first = malloc((m->n_trail + 1) * sizeof(Py_UCS4));
    if (!m->branch_last || !m->forms_last || !m->trail_first) { PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < m->n_branch; i++)          /* str_list: non-empty str */
        m->branch_last[i] = PyUnicode_READ_CHAR(m->branch[i], PyUnicode_GET_LENGTH(m->branch[i]) - 1);
    for (Py_ssize_t i = 0; i < m->n_forms; i++)
        m->forms_last[i] = PyUnicode_READ_CHAR(m->forms[i], PyUnicode_GET_LENGTH(m->forms[i]) - 1);
    for (Py_ssize_t i = 0; i < m->n_trail; i++) m->trail_first[i] = PyUnicode_READ_CHAR(m->trail[i], 0);
    if (ac_build(&m->biz, biz) < 0 || ac_build(&m->cut, cut) < 0 || ac_build(&m->shop, shop) < 0) return -1;
    Py_ssize_t np, nl;
    if (!(m->cut_rank = int_array(places, &np)) || !(m->cut_len = int_array(lens, &nl))) return -1;
    if (np != m->cut.nwords) { PyErr_SetString(PyExc_ValueError, "a place per cut word"); return -1; }
    m->cut_rank_after = (int32_t)after;
    Py_INCREF(generic); m->generic = generic;
    Py_INCREF(divisions); m->divisions = divisions;
    if (cset_build(&m->generic_c, generic) < 0 || cset_build(&m->divisions_c, divisions) < 0) return -1;
    PyObject *starts = PySet_New(NULL), *it = starts ? PyObject_GetIter(divisions) : NULL, *name;
    if (!it) { Py_XDECREF(starts); return -1; }
    while ((name = PyIter_Next(it))) {
        PyObject *two = PyUnicode_Check(name) ? PyUnicode_Substring(name, 0, 2) : NULL;
        Py_DECREF(name);
        if (!two || PySet_Add(starts, two) < 0) { Py_XDECREF(two); Py_DECREF(it); Py_DECREF(starts); return -1; }
        Py_DECREF(two);
    }
    Py_DECREF(it);
    int bad = PyErr_Occurred() || cset_build(&m->div_starts, starts) < 0;
    Py_DECREF(starts);
    if (bad) return -1;
    m->div_lengths = calloc(m->div_starts.mask + 1, sizeof(uint64_t));
    if (!m->div_lengths) { PyErr_NoMemory(); return -1; }
    for (uint64_t k = 0; k <= m->divisions_c.mask; k++) {
        if (!m->divisions_c.hash[k]) continue;
        int32_t len = m->divisions_c.len[k];
        int64_t slot = len >= 2 ? cset_slot(&m->div_starts, m->divisions_c.pool + m->divisions_c.off[k], 2) : -1;
        if (slot < 0 || len > 63) { PyErr_SetString(PyExc_ValueError, "行政区划 names of 2 to 63 characters"); return -1; }
        m->div_lengths[slot] |= (uint64_t)1 << len;
    }
    m->max_name = (int32_t)max_name;
    return 0;
}

static PyTypeObject MerchantsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shujian.text._native.Merchants",
    .tp_basicsize = sizeof(Merchants),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Merchants_init,
    .tp_dealloc = (destructor)Merchants_dealloc,
    .tp_doc = "The merchant extraction's word tables (shujian.text.native.merchants builds it).",
};

/* ------------------------------------------------------------------ Keys (merchants.KeyFilter) */
typedef struct {
    PyObject_HEAD
    AC ac;                      /* the keys */
    uint32_t *off;              /* 65537: code point → its cheap form in pool[off[c]:off[c + 1]] */
    Py_UCS4 *pool;
    /* the keys' first q characters (q = min(QMAX, the shortest key)) hashed into 2^QBITS bits, two bits each (a
     * Bloom filter): a cheap string holding a key holds its first q characters, so one without a marked q-gram
     * holds none (most registry names: no walk of the keys' trie, whose hash probes were most of the test) */
    uint64_t *qbits; int q; uint64_t qtop;     /* qtop: QMUL^(q-1), to roll the hash on */
} Keys;

#define QBITS 22                 /* 512 KB: ≈ 0.02 % of other q-grams pass for 30,000 keys */
#define QMAX 6
#define QMUL 0x100000001B3ULL

static inline int qgram_has(const uint64_t *bits, uint64_t h) {
    h = hmix(h);
    uint32_t s1 = (uint32_t)(h & ((1u << QBITS) - 1)), s2 = (uint32_t)((h >> 32) & ((1u << QBITS) - 1));
    return (int)((bits[s1 >> 6] >> (s1 & 63)) & (bits[s2 >> 6] >> (s2 & 63)) & 1);
}

/* the q-gram bits of the keys (a list of non-empty str); 0, -1 no memory.  A q-gram's hash: the polynomial
 * sum of c_i * QMUL^(q-1-i) (mod 2^64), rolled along a text one character at a time */
static int qgrams_build(Keys *k, PyObject *keys) {
    PyObject *seq = PySequence_Fast(keys, "keys must be a sequence");
    if (!seq) return -1;
    Py_ssize_t nk = PySequence_Fast_GET_SIZE(seq), shortest = QMAX;
    for (Py_ssize_t i = 0; i < nk; i++) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(PySequence_Fast_GET_ITEM(seq, i));
        if (n < shortest) shortest = n;
    }
    k->q = (int)shortest;
    k->qtop = 1;
    for (int j = 1; j < k->q; j++) k->qtop *= QMUL;
    k->qbits = calloc((size_t)1 << (QBITS - 6), sizeof(uint64_t));
    if (!k->qbits) { Py_DECREF(seq); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < nk; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        uint64_t h = 0;
        for (int j = 0; j < k->q; j++) h = h * QMUL + PyUnicode_READ_CHAR(w, j);
        h = hmix(h);
        uint32_t s1 = (uint32_t)(h & ((1u << QBITS) - 1)), s2 = (uint32_t)((h >> 32) & ((1u << QBITS) - 1));
        k->qbits[s1 >> 6] |= (uint64_t)1 << (s1 & 63);
        k->qbits[s2 >> 6] |= (uint64_t)1 << (s2 & 63);
    }
    Py_DECREF(seq);
    return 0;
}

static void Keys_dealloc(Keys *k) {
    ac_free(&k->ac);
    free(k->off); free(k->pool); free(k->qbits);
    Py_TYPE(k)->tp_free((PyObject *)k);
}

/* Keys(keys, offsets, pool): offsets 65537 uint32 and pool UCS-4 (bytes): each code point's cheap form */
static int Keys_init(Keys *k, PyObject *args, PyObject *kw) {
    PyObject *keys;
    Py_buffer off, pool;
    if (!PyArg_ParseTuple(args, "Oy*y*", &keys, &off, &pool)) return -1;
    int ok = off.len == 65537 * 4 && pool.len % 4 == 0;
    if (ok) {
        k->off = malloc(off.len); k->pool = malloc(pool.len ? pool.len : 4);
        if (k->off && k->pool) {
            memcpy(k->off, off.buf, off.len); memcpy(k->pool, pool.buf, pool.len);
            ok = k->off[65536] == (uint32_t)(pool.len / 4);
        } else {
            PyErr_NoMemory();
        }
    }
    PyBuffer_Release(&off); PyBuffer_Release(&pool);
    if (PyErr_Occurred()) return -1;
    if (!ok) { PyErr_SetString(PyExc_ValueError, "offsets: 65537 values ending at the pool's length"); return -1; }
    if (ac_build(&k->ac, keys) < 0) return -1;
    return qgrams_build(k, keys);
}

static PyTypeObject KeysType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shujian.text._native.Keys",
    .tp_basicsize = sizeof(Keys),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Keys_init,
    .tp_dealloc = (destructor)Keys_dealloc,
    .tp_doc = "A key set and the cheap form of every character (merchants.KeyFilter).",
};

/* key_names(keys, joined): the places (ascending) of the NUL-separated names of ``joined`` whose cheap
 * form holds one of the keys (no key holds NUL, whose cheap form is itself: KeyFilter checks), or None
 * when ``joined`` holds a character outside the Basic Multilingual Plane */
static PyObject *key_names(PyObject *self, PyObject *args) {
    PyObject *obj, *joined;
    if (!PyArg_ParseTuple(args, "O!U", &KeysType, &obj, &joined)) return NULL;
    Keys *k = (Keys *)obj;
    Py_ssize_t n = PyUnicode_GET_LENGTH(joined);
    int kind = PyUnicode_KIND(joined);
    const void *data = PyUnicode_DATA(joined);
    if (kind == PyUnicode_4BYTE_KIND) {
        for (Py_ssize_t i = 0; i < n; i++) if (PyUnicode_READ(kind, data, i) >= 0x10000) Py_RETURN_NONE;
    }
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    int32_t node = 0;
    Py_ssize_t name = 0, marked = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0) { name++; node = 0; continue; }
        for (uint32_t j = k->off[c]; j < k->off[c + 1]; j++) {
            node = ac_step(&k->ac, node, k->pool[j]);
            if (marked != name && ac_outputs(&k->ac, node) > 0) {
                PyObject *x = PyLong_FromSsize_t(name);
                if (!x || PyList_Append(out, x) < 0) { Py_XDECREF(x); Py_DECREF(out); return NULL; }
                Py_DECREF(x);
                marked = name;
            }
        }
    }
    return out;
}

/* ------------------------------------------------------------------ per-call scratch */
typedef struct {
    Py_UCS4 *buf; Py_ssize_t bufcap;
    IVec o_rank, o_start, o_end;        /* occurrences of terms */
    IVec p_word, p_start, p_end;        /* idiom and context-word occurrences */
    IVec tried_pos, tried_rank;         /* where a regex term may start */
    IVec idx, tmp, key, keep, hits_pos, hits_a, hits_b, out_s, out_e, present, order, aocc, bocc, spans;
    IVec longest, runs;
    IVec ranks;                         /* the ranks of the kept occurrences, ascending, once each */
    IVec klong, krun1, krun2, kseg;     /* merchant_key (called inside the loop over ``runs``) */
    Py_UCS4 *kbuf; Py_ssize_t kcap;
} Scratch;

static void scratch_free(Scratch *s) {
    IVec *v[] = {&s->o_rank, &s->o_start, &s->o_end, &s->p_word, &s->p_start, &s->p_end, &s->tried_pos,
                 &s->tried_rank, &s->idx, &s->tmp, &s->key, &s->keep, &s->hits_pos, &s->hits_a, &s->hits_b,
                 &s->out_s, &s->out_e, &s->present, &s->order, &s->aocc, &s->bocc, &s->spans, &s->longest,
                 &s->runs, &s->klong, &s->krun1, &s->krun2, &s->kseg, &s->ranks};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) free(v[i]->v);
    free(s->buf); free(s->kbuf);
}

static int ensure(IVec *a, Py_ssize_t n) {
    if (a->cap >= n) return 0;
    Py_ssize_t cap = a->cap ? a->cap : 64;
    while (cap < n) cap *= 2;
    int32_t *v = realloc(a->v, (size_t)cap * sizeof(int32_t));
    if (!v) { no_memory(); return -1; }
    a->v = v; a->cap = cap;
    return 0;
}

static int same_slice(const Py_UCS4 *t, int32_t s1, int32_t e1, int32_t s2, int32_t e2) {
    return e1 - s1 == e2 - s2 && memcmp(t + s1, t + s2, (size_t)(e1 - s1) * sizeof(Py_UCS4)) == 0;
}

/* add text[s:e] to the output words unless it is there (Match.words' order) */
static int add_word(Scratch *S, const Py_UCS4 *t, int32_t s, int32_t e) {
    for (Py_ssize_t i = 0; i < S->out_s.n; i++)
        if (same_slice(t, S->out_s.v[i], S->out_e.v[i], s, e)) return 0;
    if (ivec_push(&S->out_s, s) < 0 || ivec_push(&S->out_e, e) < 0) return -1;
    return 0;
}

static _Thread_local int32_t *cmp_key_rank, *cmp_key_start;     /* qsort's keys, per thread */
static int occ_cmp(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    if (cmp_key_rank[a] != cmp_key_rank[b]) return cmp_key_rank[a] < cmp_key_rank[b] ? -1 : 1;
    return cmp_key_start[a] < cmp_key_start[b] ? -1 : (cmp_key_start[a] > cmp_key_start[b]);
}

/* Matcher.words(text): 1 matched (words in S->out_s/out_e), 0 not matched, -1 error, 2 the text needs a
 * call into Python (``py`` 0, ``text`` NULL: without the interpreter lock; the caller screens it again with
 * the lock): the positive regex terms' search, or a regex term only its pattern's ``match`` takes. */
static int rule_words(Rule *r, Scratch *S, PyObject *text, const Py_UCS4 *t, Py_ssize_t n, int py) {
    const AC *a = &r->ac;
    S->o_rank.n = S->o_start.n = S->o_end.n = 0;
    S->p_word.n = S->p_start.n = S->p_end.n = 0;
    S->tried_pos.n = S->tried_rank.n = 0;
    S->out_s.n = S->out_e.n = 0;
    int positive = 0;
    int32_t node = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        node = ac_step(a, node, t[i]);
        for (int32_t o = ac_outputs(a, node); o > 0; o = a->dict[o]) {
            int32_t w = a->out[o], len = a->wlen[w], start = (int32_t)i + 1 - len;
            int32_t rank = r->w_rank[w];
            if (rank >= 0) {
                if (ivec_push(&S->o_rank, rank) < 0 || ivec_push(&S->o_start, start) < 0
                        || ivec_push(&S->o_end, (int32_t)i + 1) < 0) return -1;
                if (r->t_positive[rank]) positive = 1;
            }
            if (r->w_ignore[w] || r->w_ctx[w]) {
                if (ivec_push(&S->p_word, w) < 0 || ivec_push(&S->p_start, start) < 0
                        || ivec_push(&S->p_end, (int32_t)i + 1) < 0) return -1;
            }
            for (int32_t k = 0; k < r->w_rx_n[w]; k++)
                if (ivec_push(&S->tried_rank, r->rx_ranks[r->w_rx_off[w] + k]) < 0
                        || ivec_push(&S->tried_pos, (int32_t)i) < 0) return -1;
        }
    }
    if (!positive) {
        if (r->pre_search == NULL) return 0;
        if (!py) return 2;
        PyObject *m = PyObject_CallOneArg(r->pre_search, text);
        if (!m) return -1;
        int none = m == Py_None;
        Py_DECREF(m);
        if (none) return 0;
    }
    /* regex terms tried where they can start, each rank's positions ascending (finditer's matches) */
    for (int32_t q = 0; q < r->n_rx && S->tried_pos.n; q++) {
        int32_t rank = r->rx_list[q], end = 0;
        for (Py_ssize_t k = 0; k < S->tried_pos.n; k++) {
            if (S->tried_rank.v[k] != rank) continue;
            int32_t at = S->tried_pos.v[k];
            if (at < end) continue;
            if (r->t_prog[rank]) {
                Py_ssize_t me = rx_run(r->t_prog[rank], t, at, n, NULL, 0);
                if (me != -2) {
                    if (me > at) {
                        end = (int32_t)me;
                        if (ivec_push(&S->o_rank, rank) < 0 || ivec_push(&S->o_start, at) < 0
                                || ivec_push(&S->o_end, end) < 0) return -1;
                    }
                    continue;
                }
            }
            if (!py) return 2;
            PyObject *pos = PyLong_FromLong(at);
            if (!pos) return -1;
            PyObject *argv[2] = {text, pos};
            PyObject *m = PyObject_Vectorcall(r->t_match[rank], argv, 2, NULL);
            Py_DECREF(pos);
            if (!m) return -1;
            if (m != Py_None) {
                PyObject *e = PyObject_CallMethod(m, "end", NULL);
                Py_DECREF(m);
                if (!e) return -1;
                long me = PyLong_AsLong(e);
                Py_DECREF(e);
                if (me == -1 && PyErr_Occurred()) return -1;
                if (me > at) {
                    end = (int32_t)me;
                    if (ivec_push(&S->o_rank, rank) < 0 || ivec_push(&S->o_start, at) < 0
                            || ivec_push(&S->o_end, end) < 0) return -1;
                }
            } else {
                Py_DECREF(m);
            }
        }
    }
    Py_ssize_t no = S->o_rank.n;
    if (ensure(&S->idx, no) < 0 || ensure(&S->tmp, no) < 0 || ensure(&S->keep, no) < 0) return -1;
    for (Py_ssize_t i = 0; i < no; i++) S->idx.v[i] = (int32_t)i;
    cmp_key_rank = S->o_rank.v; cmp_key_start = S->o_start.v;
    qsort(S->idx.v, no, sizeof(int32_t), occ_cmp);
    /* idioms: the spans of the alternation longest first, leftmost, not overlapping (finditer) */
    S->spans.n = 0;
    if (S->p_word.n) {
        Py_ssize_t np = S->p_word.n;
        if (ensure(&S->longest, n + 1) < 0) return -1;
        int any = 0;
        for (Py_ssize_t i = 0; i < np; i++) if (r->w_ignore[S->p_word.v[i]]) { any = 1; break; }
        if (any) {
            for (Py_ssize_t i = 0; i <= n; i++) S->longest.v[i] = 0;
            for (Py_ssize_t i = 0; i < np; i++) {
                if (!r->w_ignore[S->p_word.v[i]]) continue;
                int32_t s = S->p_start.v[i], l = S->p_end.v[i] - s;
                if (l > S->longest.v[s]) S->longest.v[s] = l;
            }
            int32_t end = 0;
            for (int32_t s = 0; s < n; s++) {
                if (!S->longest.v[s] || s < end) continue;
                end = s + S->longest.v[s];
                if (ivec_push(&S->spans, s) < 0 || ivec_push(&S->spans, end) < 0) return -1;
            }
        }
    }
    /* which occurrences count (Matcher._why_not; no whole-word terms on this path) */
    Py_ssize_t nk = 0;
    for (Py_ssize_t j = 0; j < no; j++) {
        int32_t i = S->idx.v[j], rank = S->o_rank.v[i], s = S->o_start.v[i], e = S->o_end.v[i];
        int drop = 0;
        if (S->p_word.n) {
            for (Py_ssize_t k = 0; k < S->spans.n && !drop; k += 2)
                if (S->spans.v[k] < e && s < S->spans.v[k + 1]) drop = 1;
            for (int32_t c = 0; c < r->t_cl_n[rank] && !drop; c++) {
                int32_t cl = r->cl_list[r->t_cl_off[rank] + c];
                int32_t lo = s - r->c_before[cl], hi = e + r->c_after[cl];
                if (lo < 0) lo = 0;
                const uint8_t *has = r->c_word + (size_t)cl * a->nwords;
                for (Py_ssize_t k = 0; k < S->p_word.n; k++)
                    if (has[S->p_word.v[k]] && S->p_start.v[k] >= lo && S->p_end.v[k] <= hi) { drop = 1; break; }
            }
        }
        if (!drop) S->keep.v[nk++] = i;
    }
    /* present[rank]: the first kept occurrence's place in keep, or -1 */
    if (ensure(&S->present, r->nterms) < 0) return -1;
    for (int32_t k = 0; k < r->nterms; k++) S->present.v[k] = -1;
    for (Py_ssize_t j = nk - 1; j >= 0; j--) S->present.v[S->o_rank.v[S->keep.v[j]]] = (int32_t)j;
    for (int32_t k = 0; k < r->n_all; k++) if (S->present.v[r->all_r[k]] < 0) return 0;
    for (int32_t k = 0; k < r->n_excl; k++) if (S->present.v[r->excl_r[k]] >= 0) return 0;
    S->hits_pos.n = S->hits_a.n = S->hits_b.n = 0;
    S->ranks.n = 0;                     /* keep is in rank order: a rank's first kept occurrence */
    for (Py_ssize_t j = 0; j < nk && r->nnear; j++) {
        int32_t rank = S->o_rank.v[S->keep.v[j]];
        if (S->present.v[rank] == j && ivec_push(&S->ranks, rank) < 0) return -1;
    }
    for (Py_ssize_t j = 0; j < nk; j++) {
        int32_t i = S->keep.v[j];
        if (r->t_any[S->o_rank.v[i]])
            if (ivec_push(&S->hits_pos, S->o_start.v[i]) < 0 || ivec_push(&S->hits_a, i) < 0
                    || ivec_push(&S->hits_b, -1) < 0) return -1;
    }
    for (int32_t c = 0; c < r->nnear; c++) {
        for (int side = 0; side < 2; side++) {
            const int32_t *place = (side ? r->n_bpos : r->n_apos) + (size_t)c * r->nterms;
            IVec *dst = side ? &S->bocc : &S->aocc;
            dst->n = 0;
            /* the terms present, in the clause's order, each with its kept occurrences by position */
            S->order.n = 0;
            for (Py_ssize_t q = 0; q < S->ranks.n; q++) {
                int32_t k = S->ranks.v[q];
                if (place[k] >= 0 && ivec_push(&S->order, k) < 0) return -1;
            }
            for (Py_ssize_t x = 1; x < S->order.n; x++) {
                int32_t v = S->order.v[x]; Py_ssize_t y = x;
                while (y > 0 && place[S->order.v[y - 1]] > place[v]) { S->order.v[y] = S->order.v[y - 1]; y--; }
                S->order.v[y] = v;
            }
            for (Py_ssize_t x = 0; x < S->order.n; x++) {
                int32_t rank = S->order.v[x];
                for (Py_ssize_t j = S->present.v[rank]; j < nk && S->o_rank.v[S->keep.v[j]] == rank; j++)
                    if (ivec_push(dst, S->keep.v[j]) < 0) return -1;
            }
            if (!dst->n) break;
        }
        if (!S->aocc.n || !S->bocc.n) continue;
        int32_t best_a = -1, best_b = -1, best_gap = r->n_within[c] + 1;
        for (Py_ssize_t x = 0; x < S->aocc.n; x++) {
            int32_t ai = S->aocc.v[x], as = S->o_start.v[ai], ae = S->o_end.v[ai];
            for (Py_ssize_t y = 0; y < S->bocc.n; y++) {
                int32_t bi = S->bocc.v[y], bs = S->o_start.v[bi], be = S->o_end.v[bi], gap;
                if (ae <= bs) gap = bs - ae;
                else if (be <= as && !r->n_ordered[c]) gap = as - be;
                else continue;
                if (gap < best_gap) { best_a = ai; best_b = bi; best_gap = gap; }
            }
        }
        if (best_a >= 0 && (ivec_push(&S->hits_pos, S->o_start.v[best_a]) < 0 || ivec_push(&S->hits_a, best_a) < 0
                            || ivec_push(&S->hits_b, best_b) < 0)) return -1;
    }
    if (!S->hits_pos.n && (r->nnear || memchr(r->t_any, 1, r->nterms))) return 0;
    for (int32_t k = 0; k < r->n_all; k++) {
        int32_t i = S->keep.v[S->present.v[r->all_r[k]]];
        if (ivec_push(&S->hits_pos, S->o_start.v[i]) < 0 || ivec_push(&S->hits_a, i) < 0
                || ivec_push(&S->hits_b, -1) < 0) return -1;
    }
    Py_ssize_t nh = S->hits_pos.n;
    if (!nh) return 0;
    if (ensure(&S->order, nh) < 0 || ensure(&S->tmp, nh > nk ? nh : nk) < 0) return -1;
    for (Py_ssize_t x = 0; x < nh; x++) S->order.v[x] = (int32_t)x;
    stable_sort(S->order.v, nh, S->hits_pos.v, S->tmp.v);
    for (Py_ssize_t x = 0; x < nh && x < 12; x++) {            /* MAX_REPORTED */
        int32_t h = S->order.v[x], ai = S->hits_a.v[h], bi = S->hits_b.v[h];
        if (add_word(S, t, S->o_start.v[ai], S->o_end.v[ai]) < 0) return -1;
        if (bi >= 0 && add_word(S, t, S->o_start.v[bi], S->o_end.v[bi]) < 0) return -1;
    }
    /* every kept occurrence by position (stable: rank order among equal starts), the first 50 */
    stable_sort(S->keep.v, nk, S->o_start.v, S->tmp.v);
    for (Py_ssize_t j = 0; j < nk && j < 50; j++) {
        int32_t i = S->keep.v[j];
        if (add_word(S, t, S->o_start.v[i], S->o_end.v[i]) < 0) return -1;
    }
    return 1;
}

static PyObject *joined_words(Scratch *S, const Py_UCS4 *t) {
    Py_ssize_t total = 0, nw = S->out_s.n;
    for (Py_ssize_t i = 0; i < nw; i++) total += S->out_e.v[i] - S->out_s.v[i];
    total += nw ? nw - 1 : 0;
    Py_UCS4 *b = malloc((total ? total : 1) * sizeof(Py_UCS4));
    if (!b) return PyErr_NoMemory();
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < nw; i++) {
        if (i) b[k++] = 0x3001;              /* 、 */
        for (int32_t j = S->out_s.v[i]; j < S->out_e.v[i]; j++) b[k++] = t[j];
    }
    PyObject *s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b, total);
    free(b);
    return s;
}

/* ------------------------------------------------------------------ merchants.first_merchant */
static int name_char(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0x4E00 && c <= 0x9FA5);
}

static int any_word(const AC *a, const Py_UCS4 *t, Py_ssize_t lo, Py_ssize_t hi) {
    int32_t node = 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        node = ac_step(a, node, t[i]);
        if (ac_outputs(a, node) > 0) return 1;
    }
    return 0;
}

/* merchants._business_runs: spans of (longest business word at each start)+ chained, leftmost */
static int business_runs(Merchants *m, IVec *longest_v, IVec *runs, const Py_UCS4 *t, Py_ssize_t n) {
    runs->n = 0;
    if (ensure(longest_v, n + 1) < 0) return -1;
    int32_t *longest = longest_v->v;
    memset(longest, 0, (size_t)(n + 1) * sizeof(int32_t));
    int32_t node = 0, found = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        node = ac_step(&m->biz, node, t[i]);
        for (int32_t o = ac_outputs(&m->biz, node); o > 0; o = m->biz.dict[o]) {
            int32_t len = m->biz.wlen[m->biz.out[o]], s = (int32_t)i + 1 - len;
            if (len > longest[s]) longest[s] = len;
            found = 1;
        }
    }
    if (!found) return 0;
    int32_t end = 0;
    for (int32_t s = 0; s < n; s++) {
        if (!longest[s] || s < end) continue;
        end = s + longest[s];
        while (end < n && longest[end]) end += longest[end];
        if (ivec_push(runs, s) < 0 || ivec_push(runs, end) < 0) return -1;
    }
    return 0;
}

/* len(merchants._core(t[0:n])): the name without the run of business words that ends it */
static Py_ssize_t core_len(Merchants *m, Scratch *S, const Py_UCS4 *t, Py_ssize_t n) {
    if (business_runs(m, &S->klong, &S->krun2, t, n) < 0) return -1;
    Py_ssize_t k = S->krun2.n;
    return k && S->krun2.v[k - 1] == n ? S->krun2.v[k - 2] : n;
}

static int ends_with(const Py_UCS4 *t, Py_ssize_t n, PyObject *word) {
    Py_ssize_t w = PyUnicode_GET_LENGTH(word);
    if (w > n) return 0;
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    for (Py_ssize_t i = 0; i < w; i++)
        if (PyUnicode_READ(kind, data, i) != t[n - w + i]) return 0;
    return 1;
}

static int starts_at(const Py_UCS4 *t, Py_ssize_t n, Py_ssize_t at, PyObject *word) {
    Py_ssize_t w = PyUnicode_GET_LENGTH(word);
    if (at + w > n) return 0;
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    for (Py_ssize_t i = 0; i < w; i++)
        if (PyUnicode_READ(kind, data, i) != t[at + i]) return 0;
    return (int)w;
}

/* merchants._leading_division(t[0:n]): the longest 行政区划 name it starts with (looked up by its first
 * two characters, as the Python function does), 0 for none, -1 error */
static Py_ssize_t leading_division(Merchants *m, const Py_UCS4 *t, Py_ssize_t n) {
    /* the longest name in the set that starts t: what the Python function finds through the names'
     * first two characters (every name has two or more) */
    int64_t slot = n < 2 ? -1 : cset_slot(&m->div_starts, t, 2);
    if (slot < 0) return 0;
    uint64_t lengths = m->div_lengths[slot];
    for (int len = 63; len >= 2; len--)
        if ((lengths >> len) & 1 && len <= n && cset_has(&m->divisions_c, t, len)) return len;
    return 0;
}

/* merchants.merchant_key(name[0:n]) for a name of characters ``plain`` maps (letters, digits, CJK): the
 * entity package's company_base of such a name is the name mapped, less the longest legal form it
 * ends with, unless it is a null marker or ends with a branch word (then the Python function); then
 * _key_of_base.  1: the key is (*key)[0:*klen] (in S->kbuf, until the next call) or, *key NULL, None;
 * 0: the Python function must decide; -1 no memory.  No Python object is touched but the word lists'
 * strings, which the Merchants object holds and nothing changes (read without the interpreter lock). */
static int key_span(Merchants *m, Scratch *S, const Py_UCS4 *name, Py_ssize_t n, const Py_UCS4 **key,
                    Py_ssize_t *key_len) {
    if (n == 0) return 0;
    if (S->kcap < n) {
        Py_UCS4 *b = realloc(S->kbuf, (size_t)(n + 64) * sizeof(Py_UCS4));
        if (!b) { no_memory(); return -1; }
        S->kbuf = b; S->kcap = n + 64;
    }
    Py_UCS4 *full = S->kbuf;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = name[i];
        if (c >= 65536 || !(full[i] = m->plain[c])) return 0;
    }
    if (cset_has(&m->nulls_c, name, n)) return 0;
    Py_UCS4 last = name[n - 1];
    for (Py_ssize_t i = 0; i < m->n_branch; i++) {
        if (full[n - 1] == m->branch_last[i] && ends_with(full, n, m->branch[i])) return 0;
        if (last == m->branch_last[i] && ends_with(name, n, m->branch[i])) return 0;
    }
    Py_ssize_t blen = n;                                 /* company_base: the legal form cut off */
    for (Py_ssize_t i = 0; i < m->n_forms; i++) {
        if (full[n - 1] == m->forms_last[i] && ends_with(full, n, m->forms[i])) {
            Py_ssize_t f = PyUnicode_GET_LENGTH(m->forms[i]);
            if (n > f) blen = n - f;
            break;
        }
    }
    /* _key_of_base(full[0:blen]) */
    Py_ssize_t at = 0;
    int have_runs = 0;
    for (;;) {
        Py_ssize_t d = leading_division(m, full + at, blen - at);
        if (d < 0) return -1;
        if (!d) break;
        if (!have_runs) {
            if (business_runs(m, &S->klong, &S->krun1, full, blen) < 0) return -1;
            have_runs = 1;
        }
        /* _core_length(base, at + d, runs) */
        Py_ssize_t start = at + d, size = blen - start, core = -2, last = -1;
        for (Py_ssize_t k = 0; k < S->krun1.n; k += 2) {
            int32_t rs = S->krun1.v[k], re = S->krun1.v[k + 1];
            if (rs < start && start < re) { core = core_len(m, S, full + start, size); break; }
            if (rs >= start) last = k;
        }
        if (core == -1) return -1;
        if (core == -2)
            core = last >= 0 && S->krun1.v[last + 1] == blen ? S->krun1.v[last] - start : size;
        if (core < 2) break;
        at = start;
    }
    const Py_UCS4 *rest = full + at;
    Py_ssize_t rlen = blen - at, klen = rlen;
    /* _TRAIL.sub("", rest) or rest: the longest suffix made of trailing words goes (not all of rest) */
    if (ensure(&S->kseg, rlen + 1) < 0) return -1;
    int32_t *seg = S->kseg.v;
    seg[rlen] = 1;
    for (Py_ssize_t i = rlen - 1; i >= 0; i--) {
        seg[i] = 0;
        for (Py_ssize_t w = 0; w < m->n_trail && !seg[i]; w++) {
            if (rest[i] != m->trail_first[w]) continue;
            int len = starts_at(rest, rlen, i, m->trail[w]);
            if (len && seg[i + len]) seg[i] = 1;
        }
    }
    for (Py_ssize_t i = 0; i < rlen; i++) if (seg[i]) { klen = i ? i : rlen; break; }   /* the leftmost match */
    Py_ssize_t core = core_len(m, S, rest, klen);
    if (core < 0) return -1;
    *key = core < 2 ? NULL : rest;
    *key_len = klen;
    return 1;
}

/* merchants._last_cut_end over t[lo:hi] (positions relative to lo) */
static int32_t last_cut_end(Merchants *m, const Py_UCS4 *t, Py_ssize_t lo, Py_ssize_t hi) {
    int32_t first[64];                   /* hi - lo ≤ max_name (checked by the caller) */
    Py_ssize_t len = hi - lo;
    for (Py_ssize_t i = 0; i < len; i++) first[i] = INT32_MAX;
    int32_t node = 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        node = ac_step(&m->cut, node, t[i]);
        for (int32_t o = ac_outputs(&m->cut, node); o > 0; o = m->cut.dict[o]) {
            int32_t w = m->cut.out[o], place = m->cut_rank[w];
            int32_t s = (int32_t)(i - lo) + 1 - m->cut.wlen[w];
            if (place == m->cut_rank_after && s > 0 && t[lo + s - 1] == 0x8BFE) continue;   /* 课后 */
            if (place < first[s]) first[s] = place;
        }
    }
    int32_t end = 0;
    for (int32_t s = 0; s < len; s++)
        if (first[s] != INT32_MAX && s >= end) end = s + m->cut_len[first[s]];
    return end;
}

/* a merchant named in a text: the name t[start:end] and its key, a span (key_span) or a Python object */
typedef struct { int32_t start, end; const Py_UCS4 *key; Py_ssize_t key_len; PyObject *key_obj; } Mention;

/* first_merchant(t[0:n]): 1 found (*f; f->key_obj a new reference when the Python merchant_key gave the
 * key, else NULL), 0 none, 2 the Python first_merchant must decide (a line break before a business word:
 * cleaned texts have none), 3 a name only the Python merchant_key takes (``py`` 0: not called), -1 error */
static int merchant_of(Merchants *m, Scratch *S, const Py_UCS4 *t, Py_ssize_t n, int py, Mention *f) {
    f->key_obj = NULL;
    if (business_runs(m, &S->longest, &S->runs, t, n) < 0) return -1;
    for (Py_ssize_t k = 0; k < S->runs.n; k += 2) {
        int32_t start = S->runs.v[k], end = S->runs.v[k + 1];
        int32_t lo = start - m->max_name;
        if (lo < 0) lo = 0;
        if (lo == start) continue;                       /* nothing to the left */
        if (t[start - 1] == '\n') return 2;
        int32_t ps = start;
        while (ps > lo && name_char(t[ps - 1])) ps--;
        if (ps == start) continue;
        if (start - ps > 60) return 2;
        ps += last_cut_end(m, t, ps, start);
        int32_t plen = start - ps;
        if (plen < 2) continue;
        if (cset_has(&m->generic_c, t + ps, plen) || cset_has(&m->divisions_c, t + ps, plen)) continue;
        if ((t[ps] >= '0' && t[ps] <= '9') || (t[ps + 1] >= '0' && t[ps + 1] <= '9')) continue;   /* also all digits */
        if (any_word(&m->shop, t, ps, start) || any_word(&m->biz, t, ps, start)) continue;
        f->start = ps; f->end = end;
        int fast = key_span(m, S, t + ps, end - ps, &f->key, &f->key_len);
        if (fast < 0) return -1;
        if (fast) {
            if (f->key) return 1;
            continue;                                    /* no key: not a merchant */
        }
        if (!py) return 3;
        PyObject *name = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, t + ps, end - ps);
        if (!name) return -1;
        PyObject *key = PyObject_CallOneArg(m->key_of, name);
        Py_DECREF(name);
        if (!key) return -1;
        if (PyObject_IsTrue(key) == 1) { f->key_obj = key; return 1; }
        Py_DECREF(key);
    }
    return 0;
}

/* ------------------------------------------------------------------ screen */
static int to_ucs4(Scratch *S, PyObject *text, Py_ssize_t *n) {
    *n = PyUnicode_GET_LENGTH(text);
    if (S->bufcap < *n + 1) {
        Py_ssize_t cap = *n + 64;
        Py_UCS4 *b = realloc(S->buf, (size_t)cap * sizeof(Py_UCS4));
        if (!b) { PyErr_NoMemory(); return -1; }
        S->buf = b; S->bufcap = cap;
    }
    return PyUnicode_AsUCS4(text, S->buf, S->bufcap, 1) ? 0 : -1;
}

/* Py_UNICODE_ISSPACE(c) for c ≥ 128 (str.isspace: U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000) without a call per character; tests/text/test_native.py checks every code point */
static inline int wide_space(Py_UCS4 c) {
    if (c < 0x2000) return c == 0x85 || c == 0xA0 || c == 0x1680;
    return c <= 0x200A || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static inline int is_space(Py_UCS4 c) { return c < 128 ? Py_UNICODE_ISSPACE(c) : wide_space(c); }

/* ``t[0:n]`` is its own cleaned form (shujian.text.clean.cleaned, which rewrites only an Excel escape
 * ``_x000?_``, line breaks with the white space around them, tabs, U+3000, U+00A0 and runs of spaces, white
 * space at either end and full-width letters and digits — clean._UNCLEAN's test): no ``_x000``, no
 * ``\n \r \t`` U+3000 U+00A0, no two spaces in a row, no white space (str.isspace) at either end, no
 * full-width letter or digit, not longer than ``max_chars`` */
static int is_clean_text(const Py_UCS4 *t, Py_ssize_t n, Py_ssize_t max_chars) {
    if (n > max_chars) return 0;
    if (n && (is_space(t[0]) || is_space(t[n - 1]))) return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = t[i];
        if (c < 128) {
            if (c == '_' && i + 4 < n && t[i + 1] == 'x' && t[i + 2] == '0' && t[i + 3] == '0' && t[i + 4] == '0')
                return 0;
            if (c == '\n' || c == '\r' || c == '\t' || (c == ' ' && i + 1 < n && t[i + 1] == ' ')) return 0;
        } else if ((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)
                   || c == 0x3000 || c == 0xA0) {
            return 0;
        }
    }
    return 1;
}

/* one value as screen computes it, with the interpreter lock: *hit, and new references: *w the words
 * (when want_words and a rule), *name and *key (when merch), None for none */
static int screen_value(Rule *rule, Merchants *merch, Scratch *S, PyObject *value, int matched_only, int want_words,
                        PyObject *fallback, PyObject *cleaner, Py_ssize_t max_chars, int *hit_out, PyObject **w_out,
                        PyObject **name_out, PyObject **key_out) {
    PyObject *text = value, *owned = NULL;  /* owned: the cleaned form of the value, when it differs */
    Py_ssize_t n = 0;
    *w_out = *name_out = *key_out = NULL;
    if (value == Py_None) {
        S->buf = S->buf ? S->buf : malloc(sizeof(Py_UCS4));         /* "" */
        if (!S->buf) { PyErr_NoMemory(); return -1; }
    } else if (!PyUnicode_Check(value) || to_ucs4(S, value, &n) < 0 || !is_clean_text(S->buf, n, max_chars)) {
        PyErr_Clear();
        /* a text the cleaning changes (or not a str): shujian.text.clean.cleaned decides */
        text = owned = PyObject_CallOneArg(cleaner, value);
        if (!text) return -1;
        if (!PyUnicode_Check(text) || to_ucs4(S, text, &n) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "cleaned() must return str");
            goto fail;
        }
    }
    int hit = 1;
    if (rule) {
        hit = n ? rule_words(rule, S, text, S->buf, n, 1) : 0;
        if (hit < 0) goto fail;
        if (want_words) {
            *w_out = hit ? joined_words(S, S->buf) : Py_NewRef(Py_None);
            if (!*w_out) goto fail;
        }
    }
    *hit_out = hit;
    if (merch) {
        Mention f;
        int found = 0;
        if (n && (hit || !matched_only)) {
            found = merchant_of(merch, S, S->buf, n, 1, &f);
            if (found < 0) goto fail;
            if (found == 1) {
                *name_out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, S->buf + f.start, f.end - f.start);
                *key_out = f.key_obj ? f.key_obj
                                     : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, f.key, f.key_len);
                if (!*name_out || !*key_out) goto fail;
            } else if (found == 2) {                    /* the Python function decides */
                PyObject *mention = PyObject_CallOneArg(fallback, text);
                if (!mention) goto fail;
                found = mention != Py_None;
                if (found) {
                    *name_out = PyObject_GetAttrString(mention, "name");
                    *key_out = *name_out ? PyObject_GetAttrString(mention, "key") : NULL;
                }
                Py_DECREF(mention);
                if (found && (!*name_out || !*key_out)) goto fail;
            }
        }
        if (!found) { *name_out = Py_NewRef(Py_None); *key_out = Py_NewRef(Py_None); }
    }
    Py_XDECREF(owned);
    return 0;
fail:
    Py_XDECREF(owned);
    Py_CLEAR(*w_out); Py_CLEAR(*name_out); Py_CLEAR(*key_out);
    return -1;
}

static int rule_and_merchants(PyObject *rule_obj, PyObject *merch_obj, Rule **rule, Merchants **merch) {
    *rule = rule_obj == Py_None ? NULL : (Rule *)rule_obj;
    *merch = merch_obj == Py_None ? NULL : (Merchants *)merch_obj;
    if ((*rule && !PyObject_TypeCheck(rule_obj, &RuleType)) || (*merch && !PyObject_TypeCheck(merch_obj, &MerchantsType))) {
        PyErr_SetString(PyExc_TypeError, "a Rule and a Merchants (or None)");
        return -1;
    }
    return 0;
}

/* screen(rule or None, merchants or None, texts, matched_only, want_words, first_merchant, cleaned, max_chars)
 *   → (matched, words or None, merchant or None, merchant_key or None): lists, as
 *   shujian.text.udf.screen_columns builds them (texts: cleaned str). */
static PyObject *screen(PyObject *self, PyObject *args) {
    PyObject *rule_obj, *merch_obj, *texts, *fallback, *cleaner;
    int matched_only, want_words;
    Py_ssize_t max_chars;
    Rule *rule;
    Merchants *merch;
    if (!PyArg_ParseTuple(args, "OOOppOOn", &rule_obj, &merch_obj, &texts, &matched_only, &want_words, &fallback,
                          &cleaner, &max_chars) || rule_and_merchants(rule_obj, merch_obj, &rule, &merch) < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(texts, "texts must be a sequence");
    if (!seq) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject *matched = PyList_New(count), *words = NULL, *names = NULL, *keys = NULL, *result = NULL;
    if (!matched) goto done;
    if (rule && want_words && !(words = PyList_New(count))) goto done;
    if (merch && (!(names = PyList_New(count)) || !(keys = PyList_New(count)))) goto done;
    Scratch S;
    memset(&S, 0, sizeof(S));
    for (Py_ssize_t i = 0; i < count; i++) {
        int hit;
        PyObject *w, *name, *key;
        if (screen_value(rule, merch, &S, PySequence_Fast_GET_ITEM(seq, i), matched_only, want_words && rule,
                         fallback, cleaner, max_chars, &hit, &w, &name, &key) < 0)
            goto fail;
        PyList_SET_ITEM(matched, i, PyBool_FromLong(hit));
        if (words) PyList_SET_ITEM(words, i, w);
        if (names) { PyList_SET_ITEM(names, i, name); PyList_SET_ITEM(keys, i, key); }
    }
    scratch_free(&S);
    result = Py_BuildValue("(OOOO)", matched, words ? words : Py_None, names ? names : Py_None,
                           keys ? keys : Py_None);
    goto done;
fail:
    scratch_free(&S);
    /* unfilled list slots are NULL: PyList dealloc handles them */
done:
    Py_DECREF(seq);
    Py_XDECREF(matched); Py_XDECREF(words); Py_XDECREF(names); Py_XDECREF(keys);
    return result;
}

/* ------------------------------------------------------------------ screen_arrow
 * The same columns from and to Arrow buffers: no Python object per message, and the messages screened
 * without the interpreter lock. */

/* a string column being built: Arrow's validity bitmap, int32 offsets and UTF-8 data */
typedef struct { uint8_t *valid; int32_t *off; char *data; Py_ssize_t len, cap; } StrCol;

static void col_free(StrCol *c) { free(c->valid); free(c->off); free(c->data); memset(c, 0, sizeof(*c)); }

static int col_init(StrCol *c, Py_ssize_t count) {
    memset(c, 0, sizeof(*c));
    c->valid = calloc((size_t)count / 8 + 1, 1);
    c->off = malloc(((size_t)count + 1) * sizeof(int32_t));
    c->cap = 4096; c->data = malloc((size_t)c->cap);
    if (!c->valid || !c->off || !c->data) { col_free(c); return -1; }
    c->off[0] = 0;
    return 0;
}

static int col_reserve(StrCol *c, Py_ssize_t extra) {
    if (c->len + extra <= c->cap) return 0;
    if (c->len + extra > INT32_MAX) return -1;
    Py_ssize_t cap = c->cap * 2;
    while (cap < c->len + extra) cap *= 2;
    char *d = realloc(c->data, (size_t)cap);
    if (!d) return -1;
    c->data = d; c->cap = cap;
    return 0;
}

static inline void col_char(StrCol *c, Py_UCS4 ch) {          /* room for 4 bytes reserved */
    char *d = c->data + c->len;
    if (ch < 0x80) { d[0] = (char)ch; c->len += 1; }
    else if (ch < 0x800) { d[0] = (char)(0xC0 | (ch >> 6)); d[1] = (char)(0x80 | (ch & 0x3F)); c->len += 2; }
    else if (ch < 0x10000) {
        d[0] = (char)(0xE0 | (ch >> 12)); d[1] = (char)(0x80 | ((ch >> 6) & 0x3F)); d[2] = (char)(0x80 | (ch & 0x3F));
        c->len += 3;
    } else {
        d[0] = (char)(0xF0 | (ch >> 18)); d[1] = (char)(0x80 | ((ch >> 12) & 0x3F));
        d[2] = (char)(0x80 | ((ch >> 6) & 0x3F)); d[3] = (char)(0x80 | (ch & 0x3F)); c->len += 4;
    }
}

static inline void col_end(StrCol *c, Py_ssize_t i, int valid) {
    if (valid) c->valid[i >> 3] |= (uint8_t)(1 << (i & 7));
    c->off[i + 1] = (int32_t)c->len;
}

static int col_ucs4(StrCol *c, Py_ssize_t i, const Py_UCS4 *s, Py_ssize_t n) {
    if (col_reserve(c, 4 * n) < 0) return -1;
    for (Py_ssize_t k = 0; k < n; k++) col_char(c, s[k]);
    col_end(c, i, 1);
    return 0;
}

/* the words of rule_words joined by 、 (joined_words) */
static int col_words(StrCol *c, Py_ssize_t i, Scratch *S, const Py_UCS4 *t) {
    for (Py_ssize_t w = 0; w < S->out_s.n; w++) {
        if (col_reserve(c, 4 * (S->out_e.v[w] - S->out_s.v[w] + 1)) < 0) return -1;
        if (w) col_char(c, 0x3001);
        for (int32_t j = S->out_s.v[w]; j < S->out_e.v[w]; j++) col_char(c, t[j]);
    }
    col_end(c, i, 1);
    return 0;
}

/* a Python str or None (a message screened with the interpreter lock) */
static int col_object(StrCol *c, Py_ssize_t i, PyObject *value) {
    if (value == Py_None) { col_end(c, i, 0); return 0; }
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(value, &n);
    if (!u) return -1;
    if (col_reserve(c, n) < 0) { PyErr_NoMemory(); return -1; }
    memcpy(c->data + c->len, u, (size_t)n);
    c->len += n;
    col_end(c, i, 1);
    return 0;
}

/* row i of ``from`` appended as row i of ``to`` */
static int col_copy(StrCol *to, const StrCol *from, Py_ssize_t i) {
    Py_ssize_t n = from->off[i + 1] - from->off[i];
    if (col_reserve(to, n) < 0) return -1;
    memcpy(to->data + to->len, from->data + from->off[i], (size_t)n);
    to->len += n;
    col_end(to, i, (from->valid[i >> 3] >> (i & 7)) & 1);
    return 0;
}

static PyObject *col_result(StrCol *c, Py_ssize_t count) {
    if (!c->off) Py_RETURN_NONE;
    return Py_BuildValue("(y#y#y#)", (const char *)c->valid, (Py_ssize_t)(count / 8 + 1), (const char *)c->off,
                         (Py_ssize_t)((count + 1) * sizeof(int32_t)), c->data, c->len);
}

/* s[0:len] (UTF-8) as UCS-4 in S->buf, *n characters: 0, 1 not valid UTF-8 as Python decodes it (a
 * surrogate, an overlong form, past U+10FFFF…: Python decides), -1 no memory */
static int utf8_to_ucs4(Scratch *S, const uint8_t *s, Py_ssize_t len, Py_ssize_t *n) {
    if (S->bufcap < len + 1) {
        Py_ssize_t cap = len + 64;
        Py_UCS4 *b = realloc(S->buf, (size_t)cap * sizeof(Py_UCS4));
        if (!b) return -1;
        S->buf = b; S->bufcap = cap;
    }
    Py_UCS4 *out = S->buf;
    Py_ssize_t k = 0, i = 0;
    while (i < len) {
        uint8_t b0 = s[i];
        if (b0 < 0x80) { out[k++] = b0; i++; continue; }
        Py_UCS4 c;
        int more;
        if (b0 >= 0xC2 && b0 <= 0xDF) { c = b0 & 0x1F; more = 1; }
        else if (b0 >= 0xE0 && b0 <= 0xEF) { c = b0 & 0x0F; more = 2; }
        else if (b0 >= 0xF0 && b0 <= 0xF4) { c = b0 & 0x07; more = 3; }
        else return 1;
        if (i + more >= len) return 1;                  /* cut short */
        for (int j = 1; j <= more; j++) {
            uint8_t bj = s[i + j];
            if ((bj & 0xC0) != 0x80) return 1;
            c = (c << 6) | (bj & 0x3F);
        }
        if ((more == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (more == 3 && (c < 0x10000 || c > 0x10FFFF)))
            return 1;
        out[k++] = c;
        i += 1 + more;
    }
    *n = k;
    return 0;
}

static int bit(const uint8_t *bits, Py_ssize_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

/* screen_arrow(rule or None, merchants or None, validity or None, offsets, data, offset, count, matched_only,
 *              want_words, first_merchant, cleaned, max_chars)
 *   → (matched, words, merchant, merchant_key): what screen gives for the messages of an Arrow string array
 *   (its buffers, from element ``offset``), as the buffers of Arrow arrays: matched a bitmap (bytes), each
 *   other column (validity, offsets, data) or None when not computed.  The messages are screened without the
 *   interpreter lock; one that needs Python (not valid UTF-8, a text the cleaning changes, the rule's regex
 *   search or a regex term only its pattern matches, a name only the Python merchant_key or first_merchant
 *   takes) is screened again afterwards with it, as screen screens it. */
/* An Arrow string array's buffers cover rows [offset, offset + count): offsets, validity and data long
 * enough, each row's offsets in order and inside the data; -1 with ValueError set if not. */
static int arrow_bounds(const Py_buffer *offs_buf, const Py_buffer *data_buf, const Py_buffer *valid_buf,
                        Py_ssize_t offset, Py_ssize_t count) {
    const int32_t *offs = (const int32_t *)offs_buf->buf;
    if (offset < 0 || count < 0 || offs_buf->len < (Py_ssize_t)((offset + count + 1) * sizeof(int32_t))
            || (valid_buf && valid_buf->len * 8 < offset + count)) {
        PyErr_SetString(PyExc_ValueError, "offsets or validity shorter than the array");
        return -1;
    }
    for (Py_ssize_t i = offset; i < offset + count; i++)
        if (offs[i] < 0 || offs[i] > offs[i + 1] || offs[i + 1] > data_buf->len) {
            PyErr_SetString(PyExc_ValueError, "offsets outside the data");
            return -1;
        }
    return 0;
}

static PyObject *screen_arrow(PyObject *self, PyObject *args) {
    PyObject *rule_obj, *merch_obj, *valid_obj, *fallback, *cleaner, *result = NULL;
    Py_buffer offs_buf, data_buf, valid_buf;
    Py_ssize_t offset, count, max_chars;
    int matched_only, want_words;
    Rule *rule;
    Merchants *merch;
    if (!PyArg_ParseTuple(args, "OOOy*y*nnppOOn", &rule_obj, &merch_obj, &valid_obj, &offs_buf, &data_buf, &offset,
                          &count, &matched_only, &want_words, &fallback, &cleaner, &max_chars))
        return NULL;
    valid_buf.obj = NULL;
    StrCol cols[3], fixed;                  /* words, merchant, merchant_key */
    memset(cols, 0, sizeof(cols)); memset(&fixed, 0, sizeof(fixed));
    uint8_t *matched = NULL;
    int32_t *later = NULL;                  /* the messages screened again with the lock */
    Py_ssize_t nlater = 0;
    PyObject **objs = NULL;                 /* their words, merchant, key */
    Scratch S;
    memset(&S, 0, sizeof(S));
    if (rule_and_merchants(rule_obj, merch_obj, &rule, &merch) < 0) goto done;
    if (valid_obj != Py_None && PyObject_GetBuffer(valid_obj, &valid_buf, PyBUF_SIMPLE) < 0) goto done;
    const int32_t *offs = (const int32_t *)offs_buf.buf;
    const uint8_t *data = (const uint8_t *)data_buf.buf, *valid = valid_buf.obj ? valid_buf.buf : NULL;
    if (arrow_bounds(&offs_buf, &data_buf, valid ? &valid_buf : NULL, offset, count) < 0) goto done;
    int want[3] = {rule && want_words, merch != NULL, merch != NULL};
    matched = calloc((size_t)count / 8 + 1, 1);
    later = malloc(((size_t)count + 1) * sizeof(int32_t));
    if (!matched || !later) { PyErr_NoMemory(); goto done; }
    for (int k = 0; k < 3; k++)
        if (want[k] && col_init(&cols[k], count) < 0) { PyErr_NoMemory(); goto done; }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    without_gil = 1;
    for (Py_ssize_t i = 0; i < count && !failed; i++) {
        Py_ssize_t at = offset + i, n = 0;
        int hit = 1, again = 0;
        if (!valid || bit(valid, at)) {
            int bad = utf8_to_ucs4(&S, data + offs[at], offs[at + 1] - offs[at], &n);
            if (bad < 0) { failed = 1; break; }
            again = bad || !is_clean_text(S.buf, n, max_chars);
        }
        if (!again && rule) {
            hit = n ? rule_words(rule, &S, NULL, S.buf, n, 0) : 0;
            if (hit < 0) { failed = 1; break; }
            again = hit == 2;
        }
        Mention f;
        int found = 0;
        if (!again && merch && n && (hit || !matched_only)) {
            found = merchant_of(merch, &S, S.buf, n, 0, &f);
            if (found < 0) { failed = 1; break; }
            again = found > 1;
        }
        if (again) {
            later[nlater++] = (int32_t)i;
            for (int k = 0; k < 3; k++) if (want[k]) col_end(&cols[k], i, 0);
            continue;
        }
        if (hit) matched[i >> 3] |= (uint8_t)(1 << (i & 7));
        if (want[0] && (hit ? col_words(&cols[0], i, &S, S.buf) : (col_end(&cols[0], i, 0), 0)) < 0) failed = 1;
        if (merch && found) {
            if (col_ucs4(&cols[1], i, S.buf + f.start, f.end - f.start) < 0
                    || col_ucs4(&cols[2], i, f.key, f.key_len) < 0) failed = 1;
        } else if (merch) {
            col_end(&cols[1], i, 0); col_end(&cols[2], i, 0);
        }
    }
    without_gil = 0;
    Py_END_ALLOW_THREADS
    if (failed) { PyErr_NoMemory(); goto done; }
    if (nlater) {
        if (!(objs = calloc((size_t)nlater * 3, sizeof(PyObject *)))) { PyErr_NoMemory(); goto done; }
        for (Py_ssize_t j = 0; j < nlater; j++) {
            Py_ssize_t i = later[j], at = offset + i;
            PyObject *value = valid && !bit(valid, at) ? Py_NewRef(Py_None)
                : PyUnicode_DecodeUTF8((const char *)data + offs[at], offs[at + 1] - offs[at], NULL);
            int hit;
            if (!value) goto done;
            int bad = screen_value(rule, merch, &S, value, matched_only, want[0], fallback, cleaner, max_chars, &hit,
                                   &objs[3 * j], &objs[3 * j + 1], &objs[3 * j + 2]);
            Py_DECREF(value);
            if (bad < 0) goto done;
            if (hit) matched[i >> 3] |= (uint8_t)(1 << (i & 7));
        }
        for (int k = 0; k < 3; k++) {       /* each column again, in order, with those messages' values */
            if (!want[k]) continue;
            if (col_init(&fixed, count) < 0) { PyErr_NoMemory(); goto done; }
            for (Py_ssize_t i = 0, j = 0; i < count; i++) {
                if (j < nlater && later[j] == i) {
                    if (col_object(&fixed, i, objs[3 * j++ + k]) < 0) goto done;
                } else if (col_copy(&fixed, &cols[k], i) < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
            }
            col_free(&cols[k]);
            cols[k] = fixed;
            memset(&fixed, 0, sizeof(fixed));
        }
    }
    PyObject *w = col_result(&cols[0], count), *nm = w ? col_result(&cols[1], count) : NULL;
    PyObject *ky = nm ? col_result(&cols[2], count) : NULL;
    if (ky) result = Py_BuildValue("(y#OOO)", (const char *)matched, (Py_ssize_t)(count / 8 + 1), w, nm, ky);
    Py_XDECREF(w); Py_XDECREF(nm); Py_XDECREF(ky);
done:
    if (objs) { for (Py_ssize_t j = 0; j < 3 * nlater; j++) Py_XDECREF(objs[j]); free(objs); }
    for (int k = 0; k < 3; k++) col_free(&cols[k]);
    col_free(&fixed);
    free(matched); free(later);
    scratch_free(&S);
    PyBuffer_Release(&offs_buf); PyBuffer_Release(&data_buf);
    if (valid_buf.obj) PyBuffer_Release(&valid_buf);
    return result;
}

/* ``t[0:n]`` is one of the keys (a key ending at the end of it as long as it) */
static int is_key(const Keys *k, const Py_UCS4 *t, Py_ssize_t n) {
    int32_t node = 0;
    for (Py_ssize_t i = 0; i < n; i++) node = ac_step(&k->ac, node, t[i]);
    for (int32_t o = ac_outputs(&k->ac, node); o > 0; o = k->ac.dict[o])
        if (k->ac.wlen[k->ac.out[o]] == n) return 1;
    return 0;
}

/* the names of an Arrow string array whose key is one of the keys, without the interpreter lock: found (row
 * places, ascending), each one's key in kpool[kpos[2j]:kpos[2j + 1]], and ask: the rows whose key only the
 * Python merchant_key computes (their cheap form holds a key; key_span cannot take them) */
typedef struct { IVec found, ask, kpos; Py_UCS4 *kpool; Py_ssize_t kpool_n, kpool_cap; } KeyScan;

static void keyscan_free(KeyScan *r) { free(r->found.v); free(r->ask.v); free(r->kpos.v); free(r->kpool); }

/* key_names_arrow's loop over rows [offset, offset + count) (a null is an empty name: no key): 0 done, 1 not
 * taken (a name holding NUL or a character outside the Basic Multilingual Plane, one the cleaning changes,
 * not valid UTF-8), -1 no memory.  Called without the interpreter lock. */
static int key_scan(const Keys *k, Merchants *m, Scratch *S, const uint8_t *valid, const int32_t *offs,
                    const uint8_t *data, Py_ssize_t offset, Py_ssize_t count, Py_ssize_t max_chars, KeyScan *r) {
    Py_UCS4 *cheap = NULL;
    Py_ssize_t cheap_cap = 0;
    int status = 0;
    for (Py_ssize_t i = 0; i < count && !status; i++) {
        Py_ssize_t at = offset + i, n;
        if (valid && !bit(valid, at)) continue;
        int bad = utf8_to_ucs4(S, data + offs[at], offs[at + 1] - offs[at], &n);
        if (bad) { status = bad; break; }
        if (!is_clean_text(S->buf, n, max_chars)) { status = 1; break; }
        Py_ssize_t len = 0;                     /* the cheap string, in cheap[0:len] */
        for (Py_ssize_t j = 0; j < n && !status; j++) {
            Py_UCS4 c = S->buf[j];
            if (c == 0 || c >= 0x10000) { status = 1; break; }
            uint32_t lo = k->off[c], hi = k->off[c + 1];
            if (len + (Py_ssize_t)(hi - lo) > cheap_cap) {
                Py_ssize_t cap = 2 * (len + (Py_ssize_t)(hi - lo)) + 64;
                Py_UCS4 *b = realloc(cheap, (size_t)cap * sizeof(Py_UCS4));
                if (!b) { status = -1; break; }
                cheap = b; cheap_cap = cap;
            }
            for (uint32_t q = lo; q < hi; q++) cheap[len++] = k->pool[q];
        }
        if (status) break;
        /* a key starts at j: its first q characters are a marked q-gram there, and the keys' trie, walked
         * from its root along cheap[j:], reaches the end of a key (the trie's links only: few probes) */
        int marked = 0;
        uint64_t h = 0;
        for (Py_ssize_t e = 0; e < len && !marked; e++) {
            if (e >= k->q) h -= cheap[e - k->q] * k->qtop;
            h = h * QMUL + cheap[e];
            if (e + 1 < k->q || !qgram_has(k->qbits, h)) continue;
            Py_ssize_t j = e + 1 - k->q;
            int32_t node = 0;
            for (Py_ssize_t t = j; t < len && !marked; t++) {
                node = ac_child(&k->ac, node, cheap[t]);
                if (node < 0) break;
                marked = k->ac.out[node] >= 0;
            }
        }
        if (!marked) continue;
        const Py_UCS4 *key;
        Py_ssize_t key_len;
        int fast = key_span(m, S, S->buf, n, &key, &key_len);
        if (fast < 0) { status = -1; break; }
        if (!fast) {
            if (ivec_push(&r->ask, (int32_t)i) < 0) status = -1;
        } else if (key && is_key(k, key, key_len)) {
            if (r->kpool_n + key_len > r->kpool_cap) {
                Py_ssize_t cap = (r->kpool_cap ? r->kpool_cap * 2 : 4096) + key_len;
                Py_UCS4 *b = realloc(r->kpool, (size_t)cap * sizeof(Py_UCS4));
                if (!b) { status = -1; break; }
                r->kpool = b; r->kpool_cap = cap;
            }
            memcpy(r->kpool + r->kpool_n, key, (size_t)key_len * sizeof(Py_UCS4));
            if (ivec_push(&r->found, (int32_t)i) < 0 || ivec_push(&r->kpos, (int32_t)r->kpool_n) < 0
                    || ivec_push(&r->kpos, (int32_t)(r->kpool_n + key_len)) < 0) status = -1;
            r->kpool_n += key_len;
        }
    }
    free(cheap);
    return status;
}

/* key_scan of a call's arguments (keys, merchants, validity or None, offsets, data, offset, count, max_chars):
 * 0 done, 1 not taken, -1 error set */
static int key_scan_args(PyObject *args, KeyScan *r, Py_ssize_t *count_out) {
    PyObject *obj, *merch_obj, *valid_obj;
    Py_buffer offs_buf, data_buf, valid_buf;
    Py_ssize_t offset, count, max_chars;
    if (!PyArg_ParseTuple(args, "O!O!Oy*y*nnn", &KeysType, &obj, &MerchantsType, &merch_obj, &valid_obj, &offs_buf,
                          &data_buf, &offset, &count, &max_chars))
        return -1;
    Keys *k = (Keys *)obj;
    Merchants *m = (Merchants *)merch_obj;
    valid_buf.obj = NULL;
    int status = -1;
    Scratch S;
    memset(&S, 0, sizeof(S));
    if (valid_obj != Py_None && PyObject_GetBuffer(valid_obj, &valid_buf, PyBUF_SIMPLE) < 0) goto done;
    const int32_t *offs = (const int32_t *)offs_buf.buf;
    const uint8_t *data = (const uint8_t *)data_buf.buf, *valid = valid_buf.obj ? valid_buf.buf : NULL;
    if (arrow_bounds(&offs_buf, &data_buf, valid ? &valid_buf : NULL, offset, count) < 0) goto done;
    Py_BEGIN_ALLOW_THREADS
    without_gil = 1;
    status = key_scan(k, m, &S, valid, offs, data, offset, count, max_chars, r);
    without_gil = 0;
    Py_END_ALLOW_THREADS
    if (status < 0) PyErr_NoMemory();
    *count_out = count;
done:
    scratch_free(&S);
    PyBuffer_Release(&offs_buf); PyBuffer_Release(&data_buf);
    if (valid_buf.obj) PyBuffer_Release(&valid_buf);
    return status;
}

static PyObject *int_list(const IVec *v) {
    PyObject *out = PyList_New(v->n);
    for (Py_ssize_t j = 0; out && j < v->n; j++) {
        PyObject *x = PyLong_FromLong(v->v[j]);
        if (!x) { Py_CLEAR(out); break; }
        PyList_SET_ITEM(out, j, x);
    }
    return out;
}

/* key_names_arrow(keys, merchants, validity or None, offsets, data, offset, count, max_chars) → (places, keys,
 * ask): the names of an Arrow string array (its buffers, from element ``offset``; a null is an empty name)
 * that key_names finds in them joined by NUL (their cheap form holds a key), read from the buffers without
 * the interpreter lock, each with its merchant_key where key_span computes it: ``places`` and ``keys`` the
 * names whose key is one of the keys and that key, ``ask`` the names whose key only the Python
 * merchant_key computes (a name whose key is not among the keys is in neither).  None when key_names would
 * not take the names joined, or the caller's test of them would refuse them: a name holding NUL or a
 * character outside the Basic Multilingual Plane, a name the cleaning changes, or not valid UTF-8 (the
 * caller takes another path) */
static PyObject *key_names_arrow(PyObject *self, PyObject *args) {
    KeyScan r;
    memset(&r, 0, sizeof(r));
    Py_ssize_t count = 0;
    PyObject *places = NULL, *keys = NULL, *asked = NULL, *result = NULL;
    int status = key_scan_args(args, &r, &count);
    if (status < 0) goto done;
    if (status > 0) { result = Py_NewRef(Py_None); goto done; }
    if (!(places = int_list(&r.found)) || !(keys = PyList_New(r.found.n)) || !(asked = int_list(&r.ask))) goto done;
    for (Py_ssize_t j = 0; j < r.found.n; j++) {
        PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, r.kpool + r.kpos.v[2 * j],
                                                  r.kpos.v[2 * j + 1] - r.kpos.v[2 * j]);
        if (!key) goto done;
        PyList_SET_ITEM(keys, j, key);
    }
    result = PyTuple_Pack(3, places, keys, asked);
done:
    Py_XDECREF(places); Py_XDECREF(keys); Py_XDECREF(asked);
    keyscan_free(&r);
    return result;
}

/* key_column_arrow(keys, merchants, validity or None, offsets, data, offset, count, max_chars) → ((validity,
 * offsets, data), ask) or None: key_names_arrow's answer as the buffers of an Arrow string column of
 * ``count`` rows (a name's key where it is one of the keys, else null) and ``ask`` (the rows whose key only
 * the Python merchant_key computes, null in the column); None when key_names_arrow gives None */
static PyObject *key_column_arrow(PyObject *self, PyObject *args) {
    KeyScan r;
    memset(&r, 0, sizeof(r));
    StrCol col;
    memset(&col, 0, sizeof(col));
    Py_ssize_t count = 0;
    PyObject *asked = NULL, *buffers = NULL, *result = NULL;
    int status = key_scan_args(args, &r, &count);
    if (status < 0) goto done;
    if (status > 0) { result = Py_NewRef(Py_None); goto done; }
    if (col_init(&col, count) < 0) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0, j = 0; i < count; i++) {
        if (j < r.found.n && r.found.v[j] == i) {
            if (col_ucs4(&col, i, r.kpool + r.kpos.v[2 * j], r.kpos.v[2 * j + 1] - r.kpos.v[2 * j]) < 0) {
                PyErr_NoMemory();
                goto done;
            }
            j++;
        } else {
            col_end(&col, i, 0);
        }
    }
    if (!(asked = int_list(&r.ask)) || !(buffers = col_result(&col, count))) goto done;
    result = PyTuple_Pack(2, buffers, asked);
done:
    Py_XDECREF(asked); Py_XDECREF(buffers);
    col_free(&col);
    keyscan_free(&r);
    return result;
}

/* merchant_key(merchants, name): merchants.merchant_key(name), in C where key_span can */
static PyObject *merchant_key(PyObject *self, PyObject *args) {
    PyObject *obj, *name;
    if (!PyArg_ParseTuple(args, "O!U", &MerchantsType, &obj, &name)) return NULL;
    Merchants *m = (Merchants *)obj;
    Scratch S;
    memset(&S, 0, sizeof(S));
    Py_ssize_t n;
    if (to_ucs4(&S, name, &n) < 0) { scratch_free(&S); return NULL; }
    const Py_UCS4 *key;
    Py_ssize_t key_len;
    int fast = key_span(m, &S, S.buf, n, &key, &key_len);
    PyObject *out = fast < 0 ? PyErr_NoMemory()
        : !fast ? PyObject_CallOneArg(m->key_of, name)
        : key ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key, key_len) : Py_NewRef(Py_None);
    scratch_free(&S);
    return out;
}

/* rx_match(program, text, at): the end of the program's match at ``at``, -1 for none (-2: too deep) */
static PyObject *rx_match(PyObject *self, PyObject *args) {
    PyObject *prog, *text;
    Py_ssize_t at;
    if (!PyArg_ParseTuple(args, "OUn", &prog, &text, &at)) return NULL;
    Py_ssize_t np;
    int32_t *pc = int_array(prog, &np);
    if (!pc) return NULL;
    Py_UCS4 *t = PyUnicode_AsUCS4Copy(text);
    if (!t) { free(pc); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t r = at < 0 || at > n ? -1 : rx_run(pc, t, at, n, NULL, 0);
    PyMem_Free(t); free(pc);
    return PyLong_FromSsize_t(r);
}

/* ------------------------------------------------------------------ the prefilter
 * The text step's prefilter on DuckDB (shujian_text_pre): does the cleaned text hold one of the rule's
 * positive terms — Matcher.candidate(clean.cleaned(text)), what the SQL prefilter (clean.sql_prefilter)
 * computes with regular expressions — over an Arrow batch without the interpreter lock. */

/* clean.cleaned of t[0:n] into out (room for n characters; cleaning never lengthens a text): the Excel
 * escapes _x000[dDaA9]_ as a line break, the first max_chars characters, each run of white space
 * (str.isspace) holding a line break as one space, in any other run each run of ' ', '\t', U+3000, U+00A0
 * as one space, white space at either end removed, full-width letters and digits as half-width.
 * tests/text/test_native.py compares it with clean.cleaned on random texts. */
static Py_ssize_t clean_ucs4(const Py_UCS4 *t, Py_ssize_t n, Py_ssize_t max_chars, Py_UCS4 *out) {
    Py_ssize_t m = 0, i = 0;
    while (i < n && m < max_chars) {
        if (t[i] == '_' && i + 6 < n && t[i + 1] == 'x' && t[i + 2] == '0' && t[i + 3] == '0' && t[i + 4] == '0'
                && (t[i + 5] == 'd' || t[i + 5] == 'D' || t[i + 5] == 'a' || t[i + 5] == 'A' || t[i + 5] == '9')
                && t[i + 6] == '_') {
            out[m++] = '\n'; i += 7;
        } else {
            out[m++] = t[i++];
        }
    }
    Py_ssize_t w = 0;
    i = 0;
    while (i < m) {
        if (!is_space(out[i])) { out[w++] = out[i++]; continue; }
        Py_ssize_t j = i;
        int brk = 0;
        while (j < m && is_space(out[j])) { if (out[j] == '\n' || out[j] == '\r') brk = 1; j++; }
        if (brk) {
            out[w++] = ' ';
        } else {
            for (Py_ssize_t k = i; k < j;) {
                Py_UCS4 c = out[k];
                if (c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0) {
                    out[w++] = ' ';
                    while (k < j && (out[k] == ' ' || out[k] == '\t' || out[k] == 0x3000 || out[k] == 0xA0)) k++;
                } else {
                    out[w++] = out[k++];
                }
            }
        }
        i = j;
    }
    Py_ssize_t lo = 0, hi = w;
    while (lo < hi && is_space(out[lo])) lo++;
    while (hi > lo && is_space(out[hi - 1])) hi--;
    for (Py_ssize_t k = lo; k < hi; k++) {
        Py_UCS4 c = out[k];
        if ((c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) c -= 0xFEE0;
        out[k - lo] = c;
    }
    return hi - lo;
}

typedef struct {
    PyObject_HEAD
    int32_t nwords;
    Py_UCS4 *pool;              /* the words' characters: word i is pool[w_at[i] : w_at[i] + w_len[i]] */
    int32_t *w_at, *w_len;
    int32_t *w_off, *w_n;       /* word → its programs in progs[w_off : w_off + w_n]; w_n -1: a literal term */
    int32_t *w_prog;
    int32_t nprog;
    int32_t **progs;            /* the positive regex terms' programs (see rx_run) */
    uint8_t first[8192];        /* the characters of the Basic Multilingual Plane a word starts with */
    int astral;                 /* a word starts with a character outside it */
    uint16_t *slot;             /* 65536: a first character → 1 + its place in s_off / s_n (0: none) */
    int32_t *s_off, *s_n, *s_words;     /* the words starting with that character */
} Pre;

static void Pre_dealloc(Pre *p) {
    free(p->pool); free(p->w_at); free(p->w_len); free(p->slot); free(p->s_off); free(p->s_n); free(p->s_words);
    free(p->w_off); free(p->w_n); free(p->w_prog);
    if (p->progs) { for (int32_t i = 0; i < p->nprog; i++) free(p->progs[i]); free(p->progs); }
    Py_TYPE(p)->tp_free((PyObject *)p);
}


/* the words' characters and, for each first character, the words starting with it; 0 or -1 (error set) */
static int pre_words(Pre *p, PyObject *words) {
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (!seq) return -1;
    Py_ssize_t nw = PySequence_Fast_GET_SIZE(seq), total = 0;
    for (Py_ssize_t i = 0; i < nw; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(w) || PyUnicode_GET_LENGTH(w) == 0) {
            Py_DECREF(seq); PyErr_SetString(PyExc_ValueError, "words must be non-empty str"); return -1;
        }
        total += PyUnicode_GET_LENGTH(w);
    }
    p->nwords = (int32_t)nw;
    p->pool = malloc((total + 1) * sizeof(Py_UCS4));
    p->w_at = malloc((nw + 1) * sizeof(int32_t)); p->w_len = malloc((nw + 1) * sizeof(int32_t));
    p->slot = calloc(65536, sizeof(uint16_t));
    p->s_off = malloc((nw + 1) * sizeof(int32_t)); p->s_n = calloc(nw + 1, sizeof(int32_t));
    p->s_words = malloc((nw + 1) * sizeof(int32_t));
    if (!p->pool || !p->w_at || !p->w_len || !p->slot || !p->s_off || !p->s_n || !p->s_words) {
        Py_DECREF(seq); PyErr_NoMemory(); return -1;
    }
    Py_ssize_t at = 0;
    int32_t nslots = 0;
    for (Py_ssize_t i = 0; i < nw; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t n = PyUnicode_GET_LENGTH(w);
        if (!PyUnicode_AsUCS4(w, p->pool + at, n, 0)) { Py_DECREF(seq); return -1; }
        p->w_at[i] = (int32_t)at; p->w_len[i] = (int32_t)n;
        Py_UCS4 c = p->pool[at];
        at += n;
        if (c >= 65536) { p->astral = 1; continue; }
        p->first[c >> 3] |= (uint8_t)(1u << (c & 7));
        if (!p->slot[c]) p->slot[c] = (uint16_t)++nslots;
        p->s_n[p->slot[c] - 1]++;
    }
    /* each slot's words in word order */
    for (int32_t k = 0, off = 0; k < nslots; k++) { p->s_off[k] = off; off += p->s_n[k]; p->s_n[k] = 0; }
    for (Py_ssize_t i = 0; i < nw; i++) {
        Py_UCS4 c = p->pool[p->w_at[i]];
        if (c >= 65536) continue;
        int32_t k = p->slot[c] - 1;
        p->s_words[p->s_off[k] + p->s_n[k]++] = (int32_t)i;
    }
    Py_DECREF(seq);
    return 0;
}

/* Pre(words, roles, programs): words the positive literal terms and the characters a positive regex term
 * starts with; roles[i] None for a literal term, else the indices (into programs) of the regex terms
 * words[i] starts; programs the regex terms' programs (as native._program writes them) */
static int Pre_init(Pre *p, PyObject *args, PyObject *kw) {
    PyObject *words, *roles, *programs;
    if (!PyArg_ParseTuple(args, "OOO", &words, &roles, &programs)) return -1;
    Py_ssize_t np = PySequence_Size(programs);
    if (np < 0) return -1;
    p->progs = calloc(np + 1, sizeof(int32_t *));
    if (!p->progs) { PyErr_NoMemory(); return -1; }
    p->nprog = (int32_t)np;
    for (Py_ssize_t i = 0; i < np; i++) {
        PyObject *prog = PySequence_GetItem(programs, i);
        if (!prog) return -1;
        p->progs[i] = int_array(prog, NULL);
        Py_DECREF(prog);
        if (!p->progs[i]) return -1;
    }
    if (pre_words(p, words) < 0) return -1;
    int32_t nw = p->nwords;
    if (PySequence_Size(roles) != nw) { PyErr_SetString(PyExc_ValueError, "one role per word"); return -1; }
    p->w_off = malloc((nw + 1) * sizeof(int32_t)); p->w_n = malloc((nw + 1) * sizeof(int32_t));
    if (!p->w_off || !p->w_n) { PyErr_NoMemory(); return -1; }
    IVec all = {0};
    for (int32_t i = 0; i < nw; i++) {
        PyObject *role = PySequence_GetItem(roles, i);
        if (!role) { free(all.v); return -1; }
        p->w_off[i] = (int32_t)all.n; p->w_n[i] = -1;
        if (role != Py_None) {
            Py_ssize_t m;
            int32_t *v = int_array(role, &m);
            Py_DECREF(role);
            if (!v) { free(all.v); return -1; }
            for (Py_ssize_t j = 0; j < m; j++)
                if (v[j] < 0 || v[j] >= np || ivec_push(&all, v[j]) < 0) {
                    free(v); free(all.v);
                    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a program index out of range");
                    return -1;
                }
            free(v);
            p->w_n[i] = (int32_t)m;
        } else {
            Py_DECREF(role);
        }
    }
    p->w_prog = all.v ? all.v : malloc(sizeof(int32_t));
    return 0;
}

static PyTypeObject PreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "shujian.text._native.Pre",
    .tp_basicsize = sizeof(Pre),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Pre_init,
    .tp_dealloc = (destructor)Pre_dealloc,
    .tp_doc = "A rule's positive terms for the prefilter (shujian.text.native.prefilter builds it).",
};

/* word w is at t[i:]: a literal term, or a regex term's program matches there (-2 from rx_run, too deep: not
 * expected, counts as a match — the prefilter keeps more, never less) */
static int pre_word_at(const Pre *p, int32_t w, const Py_UCS4 *t, Py_ssize_t i, Py_ssize_t n) {
    if (p->w_n[w] < 0) {
        Py_ssize_t len = p->w_len[w];
        return i + len <= n && memcmp(t + i, p->pool + p->w_at[w], (size_t)len * sizeof(Py_UCS4)) == 0;
    }
    for (int32_t k = 0; k < p->w_n[w]; k++)
        if (rx_run(p->progs[p->w_prog[p->w_off[w] + k]], t, i, n, NULL, 0) != -1) return 1;
    return 0;
}

/* t[0:n] (cleaned) holds a positive literal term, or a positive regex term matches at one of its first
 * characters: 1, else 0 (the words that start with each character of the text are tried there) */
static int pre_found(const Pre *p, const Py_UCS4 *t, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = t[i];
        if (c < 65536) {
            if (!(p->first[c >> 3] & (1u << (c & 7)))) continue;
            int32_t k = p->slot[c] - 1;
            for (int32_t j = 0; j < p->s_n[k]; j++) if (pre_word_at(p, p->s_words[p->s_off[k] + j], t, i, n)) return 1;
        } else if (p->astral) {
            for (int32_t w = 0; w < p->nwords; w++)
                if (p->pool[p->w_at[w]] == c && pre_word_at(p, w, t, i, n)) return 1;
        }
    }
    return 0;
}

/* pre_found of a message's UTF-8 bytes s[0:len] when the cleaning leaves it alone (is_clean_text), decoded,
 * tested and searched in one pass: 1 or 0; -2 when the cleaning may change it or it is not valid UTF-8 (the
 * caller takes the general path: utf8_to_ucs4, clean_ucs4, pre_found); -1 no memory */
static int pre_found_utf8(const Pre *p, Scratch *S, const uint8_t *s, Py_ssize_t len, Py_ssize_t max_chars) {
    if (S->bufcap < len + 1) {
        Py_ssize_t cap = len + 64;
        Py_UCS4 *b = realloc(S->buf, (size_t)cap * sizeof(Py_UCS4));
        if (!b) return -1;
        S->buf = b; S->bufcap = cap;
    }
    Py_UCS4 *out = S->buf;
    Py_ssize_t k = 0, i = 0;
    int cand = 0;
    while (i < len) {
        uint8_t b0 = s[i];
        Py_UCS4 c;
        if (b0 < 0x80) {
            c = b0; i++;
            if (c == '\n' || c == '\r' || c == '\t' || (c == ' ' && i < len && s[i] == ' ')
                    || (c == '_' && i + 3 < len && s[i] == 'x' && s[i + 1] == '0' && s[i + 2] == '0' && s[i + 3] == '0'))
                return -2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            if (i + 2 >= len) return -2;
            uint8_t b1 = s[i + 1], b2 = s[i + 2];
            if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return -2;
            c = ((Py_UCS4)(b0 & 0x0F) << 12) | ((Py_UCS4)(b1 & 0x3F) << 6) | (b2 & 0x3F);
            if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF) || c == 0x3000
                    || (c >= 0xFF10 && c <= 0xFF5A && ((c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) || c >= 0xFF41)))
                return -2;
            i += 3;
        } else if (b0 >= 0xC2 && b0 <= 0xDF) {
            if (i + 1 >= len || (s[i + 1] & 0xC0) != 0x80) return -2;
            c = ((Py_UCS4)(b0 & 0x1F) << 6) | (s[i + 1] & 0x3F);
            if (c == 0xA0) return -2;
            i += 2;
        } else {
            return -2;                  /* four bytes (outside the Basic Multilingual Plane) or not UTF-8 */
        }
        out[k++] = c;
        cand |= (p->first[c >> 3] >> (c & 7)) & 1;
    }
    if (k > max_chars || (k && (is_space(out[0]) || is_space(out[k - 1])))) return -2;
    return cand ? pre_found(p, out, k) : 0;
}

/* prefilter_arrow(pre, validity or None, offsets, data, offset, count, max_chars) → bitmap (bytes): for each
 * message of an Arrow string array (its buffers, from element ``offset``) whether its cleaned form holds a
 * positive term; a null is the empty text (no term); a message that is not valid UTF-8 is kept (the text
 * function decides, as it did).  Without the interpreter lock. */
static PyObject *prefilter_arrow(PyObject *self, PyObject *args) {
    PyObject *obj, *valid_obj, *result = NULL;
    Py_buffer offs_buf, data_buf, valid_buf;
    Py_ssize_t offset, count, max_chars;
    if (!PyArg_ParseTuple(args, "O!Oy*y*nnn", &PreType, &obj, &valid_obj, &offs_buf, &data_buf, &offset, &count,
                          &max_chars))
        return NULL;
    Pre *p = (Pre *)obj;
    valid_buf.obj = NULL;
    uint8_t *kept = NULL;
    Py_UCS4 *clean = NULL;
    Py_ssize_t clean_cap = 0;
    Scratch S;
    memset(&S, 0, sizeof(S));
    if (valid_obj != Py_None && PyObject_GetBuffer(valid_obj, &valid_buf, PyBUF_SIMPLE) < 0) goto done;
    const int32_t *offs = (const int32_t *)offs_buf.buf;
    const uint8_t *data = (const uint8_t *)data_buf.buf, *valid = valid_buf.obj ? valid_buf.buf : NULL;
    if (max_chars < 0) { PyErr_SetString(PyExc_ValueError, "max_chars < 0"); goto done; }
    if (arrow_bounds(&offs_buf, &data_buf, valid ? &valid_buf : NULL, offset, count) < 0) goto done;
    if (!(kept = calloc((size_t)count / 8 + 1, 1))) { PyErr_NoMemory(); goto done; }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t at = offset + i, n = 0;
        if (valid && !bit(valid, at)) continue;
        int fast = pre_found_utf8(p, &S, data + offs[at], offs[at + 1] - offs[at], max_chars);
        if (fast == -1) { failed = 1; break; }
        if (fast >= 0) {
            if (fast) kept[i >> 3] |= (uint8_t)(1 << (i & 7));
            continue;
        }
        int bad = utf8_to_ucs4(&S, data + offs[at], offs[at + 1] - offs[at], &n);
        if (bad < 0) { failed = 1; break; }
        int hit = 1;
        if (!bad) {
            const Py_UCS4 *t = S.buf;
            if (!is_clean_text(S.buf, n, max_chars)) {
                if (clean_cap < n + 1) {
                    Py_UCS4 *b = realloc(clean, (size_t)(n + 64) * sizeof(Py_UCS4));
                    if (!b) { failed = 1; break; }
                    clean = b; clean_cap = n + 64;
                }
                n = clean_ucs4(S.buf, n, max_chars, clean);
                t = clean;
            }
            hit = pre_found(p, t, n);
        }
        if (hit) kept[i >> 3] |= (uint8_t)(1 << (i & 7));
    }
    Py_END_ALLOW_THREADS
    if (failed) { PyErr_NoMemory(); goto done; }
    result = PyBytes_FromStringAndSize((const char *)kept, (Py_ssize_t)(count / 8 + 1));
done:
    free(kept); free(clean);
    scratch_free(&S);
    PyBuffer_Release(&offs_buf); PyBuffer_Release(&data_buf);
    if (valid_buf.obj) PyBuffer_Release(&valid_buf);
    return result;
}

/* cleaned(text, max_chars): clean_ucs4 of a str (tests compare it with clean.cleaned) */
static PyObject *cleaned_text(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t max_chars;
    if (!PyArg_ParseTuple(args, "Un", &text, &max_chars)) return NULL;
    if (max_chars < 0) { PyErr_SetString(PyExc_ValueError, "max_chars < 0"); return NULL; }
    Py_UCS4 *t = PyUnicode_AsUCS4Copy(text);
    if (!t) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_UCS4 *out = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_UCS4));
    if (!out) { PyMem_Free(t); return PyErr_NoMemory(); }
    Py_ssize_t m = clean_ucs4(t, n, max_chars, out);
    PyObject *r = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, m);
    PyMem_Free(t); PyMem_Free(out);
    return r;
}

/* prefilter_found(pre, text): pre_found of a str as it is (not cleaned) — for tests */
static PyObject *prefilter_found(PyObject *self, PyObject *args) {
    PyObject *obj, *text;
    if (!PyArg_ParseTuple(args, "O!U", &PreType, &obj, &text)) return NULL;
    Py_UCS4 *t = PyUnicode_AsUCS4Copy(text);
    if (!t) return NULL;
    int r = pre_found((Pre *)obj, t, PyUnicode_GET_LENGTH(text));
    PyMem_Free(t);
    return PyBool_FromLong(r);
}

static PyMethodDef methods[] = {
    {"prefilter_arrow", prefilter_arrow, METH_VARARGS,
     "prefilter_arrow(pre, validity, offsets, data, offset, count, max_chars) -> kept bitmap"},
    {"prefilter_found", prefilter_found, METH_VARARGS, "prefilter_found(pre, text) -> bool (text as it is)"},
    {"cleaned", cleaned_text, METH_VARARGS, "cleaned(text, max_chars) -> clean.cleaned(text) in C"},
    {"key_names", key_names, METH_VARARGS, "key_names(keys, joined) -> [name places] or None"},
    {"key_names_arrow", key_names_arrow, METH_VARARGS,
     "key_names_arrow(keys, merchants, validity, offsets, data, offset, count, max_chars) -> "
     "(places, keys, ask) or None"},
    {"key_column_arrow", key_column_arrow, METH_VARARGS,
     "key_column_arrow(keys, merchants, validity, offsets, data, offset, count, max_chars) -> "
     "((validity, offsets, data), ask) or None"},
    {"rx_match", rx_match, METH_VARARGS, "rx_match(program, text, at) -> end, -1 (no match) or -2"},
    {"merchant_key", merchant_key, METH_VARARGS, "merchant_key(merchants, name) -> str or None"},
    {"screen", screen, METH_VARARGS,
     "screen(rule, merchants, texts, matched_only, want_words, first_merchant) -> "
     "(matched, words, merchant, merchant_key)"},
    {"screen_arrow", screen_arrow, METH_VARARGS,
     "screen_arrow(rule, merchants, validity, offsets, data, offset, count, matched_only, want_words, "
     "first_merchant, cleaned, max_chars) -> (matched bitmap, words, merchant, merchant_key buffers)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

/* the digest of this file that setup.py built it from: shujian.text.native ignores a build of other source */
#ifndef SHUJIAN_NATIVE_SOURCE
#define SHUJIAN_NATIVE_SOURCE "unknown"
#endif

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&RuleType) < 0 || PyType_Ready(&MerchantsType) < 0 || PyType_Ready(&KeysType) < 0
            || PyType_Ready(&PreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&RuleType);
    Py_INCREF(&MerchantsType);
    Py_INCREF(&KeysType);
    Py_INCREF(&PreType);
    if (PyModule_AddObject(m, "Rule", (PyObject *)&RuleType) < 0
            || PyModule_AddObject(m, "Merchants", (PyObject *)&MerchantsType) < 0
            || PyModule_AddObject(m, "Keys", (PyObject *)&KeysType) < 0
            || PyModule_AddObject(m, "Pre", (PyObject *)&PreType) < 0
            || PyModule_AddStringConstant(m, "SOURCE", SHUJIAN_NATIVE_SOURCE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
