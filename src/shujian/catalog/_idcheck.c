/* shujian.catalog._idcheck — the 身份证号 check of the quality report (sj_valid_id_number) in C.
 *
 * One call per Arrow string array DuckDB hands the UDF (≈ 2,048 values): every value of the form 17
 * ASCII digits + digit/X (18 bytes; most delivered IDs) is checked here — province prefix (the region
 * table Python passes), birth date from 1900-01-01 to ``today``, GB 11643 check digit — with the GIL
 * released; the others are returned by index for the Python check (semantic._fast_valid_id), which
 * normalises them first.  The same verdicts as semantic._id_verdicts (numpy), which runs when this
 * module is not built; tests/catalog/test_idcheck_native.py compares them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const int WEIGHTS[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const int MONTH_DAYS[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* 1: valid, 0: invalid, 2: not 17 digits + digit/X (the Python check decides) */
static int verdict(const unsigned char *s, const unsigned char *regions, long today) {
    int d[18];
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9') return 2;
        d[i] = s[i] - '0';
    }
    int last;
    if (s[17] == 'X') last = 10;
    else if (s[17] >= '0' && s[17] <= '9') last = s[17] - '0';
    else return 2;
    if (!regions[d[0] * 10 + d[1]]) return 0;
    long y = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9];
    int m = d[10] * 10 + d[11], day = d[12] * 10 + d[13];
    if (m < 1 || m > 12 || day < 1) return 0;
    int leap = ((y % 4 == 0) && (y % 100 != 0)) || (y % 400 == 0);
    if (day > MONTH_DAYS[m] + (m == 2 && leap)) return 0;
    long ymd = y * 10000 + m * 100 + day;
    if (ymd < 19000101 || ymd > today) return 0;
    int total = 0;
    for (int i = 0; i < 17; i++) total += d[i] * WEIGHTS[i];
    return (12 - total % 11) % 11 == last;
}

/* check(validity, offsets, data, offset, n, regions, today) -> (bytearray bits, list others)
 *
 * validity: the array's validity bitmap or None; offsets: its int32 offsets buffer; data: its data
 * buffer or None; offset, n: the array's offset and length; regions: 100 bytes, non-zero for a valid
 * two-digit province prefix; today: yyyymmdd.  ``bits``: the verdicts as a little-endian bitmap of
 * offset + n bits (value i at bit offset + i; 0 for NULL and for the others), ``others``: the indices
 * i of the non-NULL values this loop did not decide. */
static PyObject *check(PyObject *self, PyObject *args) {
    PyObject *valid_obj, *off_obj, *data_obj, *result = NULL;
    Py_ssize_t offset, n;
    Py_buffer valid_buf = {0}, off_buf = {0}, data_buf = {0}, reg_buf = {0};
    long today;
    int have_valid = 0, have_off = 0, have_data = 0, have_reg = 0;
    PyObject *reg_obj;
    if (!PyArg_ParseTuple(args, "OOOnnOl", &valid_obj, &off_obj, &data_obj, &offset, &n, &reg_obj, &today))
        return NULL;
    if (offset < 0 || n < 0) {
        PyErr_SetString(PyExc_ValueError, "negative offset or length");
        return NULL;
    }
    if (valid_obj != Py_None) {
        if (PyObject_GetBuffer(valid_obj, &valid_buf, PyBUF_SIMPLE) < 0) goto done;
        have_valid = 1;
        if (valid_buf.len * 8 < offset + n) {
            PyErr_SetString(PyExc_ValueError, "validity bitmap shorter than the array");
            goto done;
        }
    }
    if (PyObject_GetBuffer(off_obj, &off_buf, PyBUF_SIMPLE) < 0) goto done;
    have_off = 1;
    if (off_buf.len < (Py_ssize_t)sizeof(int32_t) * (offset + n + 1)) {
        PyErr_SetString(PyExc_ValueError, "offsets shorter than the array");
        goto done;
    }
    if (data_obj != Py_None) {
        if (PyObject_GetBuffer(data_obj, &data_buf, PyBUF_SIMPLE) < 0) goto done;
        have_data = 1;
    }
    if (PyObject_GetBuffer(reg_obj, &reg_buf, PyBUF_SIMPLE) < 0) goto done;
    have_reg = 1;
    if (reg_buf.len < 100) {
        PyErr_SetString(PyExc_ValueError, "the region table needs 100 entries");
        goto done;
    }
    const unsigned char *valid = have_valid ? (const unsigned char *)valid_buf.buf : NULL;
    const int32_t *offs = (const int32_t *)off_buf.buf;
    const unsigned char *data = have_data ? (const unsigned char *)data_buf.buf : NULL;
    Py_ssize_t data_len = have_data ? data_buf.len : 0;
    const unsigned char *regions = (const unsigned char *)reg_buf.buf;
    Py_ssize_t nbytes = (offset + n + 7) / 8;
    PyObject *bits = PyByteArray_FromStringAndSize(NULL, nbytes);
    if (bits == NULL) goto done;
    unsigned char *out = (unsigned char *)PyByteArray_AS_STRING(bits);
    memset(out, 0, nbytes);
    /* the indices left to Python, gathered without the GIL into a C array */
    Py_ssize_t *others = PyMem_Malloc(sizeof(Py_ssize_t) * (n > 0 ? n : 1));
    if (others == NULL) {
        Py_DECREF(bits);
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_others = 0;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t at = offset + i;
        if (valid && !((valid[at >> 3] >> (at & 7)) & 1)) continue;
        int32_t a = offs[at], b = offs[at + 1];
        if (a < 0 || b < a || b > data_len) { bad = 1; break; }
        int v = (b - a == 18) ? verdict(data + a, regions, today) : 2;
        if (v == 1) out[at >> 3] |= (unsigned char)(1u << (at & 7));
        else if (v == 2) others[n_others++] = i;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyMem_Free(others);
        Py_DECREF(bits);
        PyErr_SetString(PyExc_ValueError, "offsets out of order or past the data");
        goto done;
    }
    PyObject *list = PyList_New(n_others);
    if (list == NULL) {
        PyMem_Free(others);
        Py_DECREF(bits);
        goto done;
    }
    for (Py_ssize_t k = 0; k < n_others; k++) {
        PyObject *ix = PyLong_FromSsize_t(others[k]);
        if (ix == NULL) {
            PyMem_Free(others);
            Py_DECREF(bits);
            Py_DECREF(list);
            goto done;
        }
        PyList_SET_ITEM(list, k, ix);
    }
    PyMem_Free(others);
    result = Py_BuildValue("(NN)", bits, list);
done:
    if (have_valid) PyBuffer_Release(&valid_buf);
    if (have_off) PyBuffer_Release(&off_buf);
    if (have_data) PyBuffer_Release(&data_buf);
    if (have_reg) PyBuffer_Release(&reg_buf);
    return result;
}

static PyMethodDef methods[] = {
    {"check", check, METH_VARARGS, "GB 11643 checks of an Arrow string array's clean 18-character values"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_idcheck", NULL, -1, methods};

PyMODINIT_FUNC PyInit__idcheck(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
#ifdef SHUJIAN_IDCHECK_SOURCE
    if (PyModule_AddStringConstant(m, "SOURCE", SHUJIAN_IDCHECK_SOURCE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    return m;
}
