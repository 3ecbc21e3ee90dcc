/* Compiled versions of the parser's two hottest pure functions (see speedups.py, which holds
 * the Python versions they must equal and picks one at import):
 *
 *   split_segments(block, terminator, element, strip) -> list[list[str]]
 *       [s.split(element) for raw in block.split(terminator) if (s := raw.strip(strip))]
 *       for a one-byte (Latin-1) block and one-character delimiters; None otherwise, and the
 *       caller falls back to Python.
 *
 *   hash32(text) -> str
 *       sha256(text.encode()).hexdigest()[:32]
 *
 *   provisional_ids(buffer, prefix, offset, content, items, plb) -> None
 *       appends hash32(key) of each item's id key to the bytearray buffer (32 bytes each)
 *
 *   cas_json(out, ids, head, middle, tail, cas, pieces, escape) -> None
 *       appends the JSON line of each CAS item to out (speedups.py, py_cas_json)
 *
 *   finish_ids(prefix, buffer) -> (fingerprint, ids)
 *       fingerprint = hash32(prefix + provisional ids); ids = hash32(fingerprint + each one)
 *
 * SHA-256 is OpenSSL's when its header is there at build time (setup.py), else FIPS 180-4
 * written out (_sha256.h); the tests hold every function to its Python version and to hashlib,
 * and build the one without OpenSSL too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_sha256.h"

static PyObject *hex32_of(const char *data, Py_ssize_t size) {
    sha256_ctx ctx;
    char out[32];
    sha256_init(&ctx);
    sha256_update(&ctx, (const unsigned char *)data, (size_t)size);
    sha256_hex32(&ctx, out);
    return PyUnicode_FromStringAndSize(out, 32);
}

static PyObject *hash32(PyObject *module, PyObject *text) {
    Py_ssize_t size;
    const char *data;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "hash32: expected str");
        return NULL;
    }
    data = PyUnicode_AsUTF8AndSize(text, &size);
    if (data == NULL) {
        return NULL;
    }
    return hex32_of(data, size);
}

/* A growable byte buffer for one id key. */
typedef struct {
    char *data;
    size_t size, capacity;
    char stack[512];
} key_buffer;

static int key_put(key_buffer *key, const char *data, size_t size) {
    if (key->size + size > key->capacity) {
        size_t capacity = (key->size + size) * 2;
        char *grown = PyMem_Malloc(capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, key->data, key->size);
        if (key->data != key->stack) {
            PyMem_Free(key->data);
        }
        key->data = grown;
        key->capacity = capacity;
    }
    memcpy(key->data + key->size, data, size);
    key->size += size;
    return 0;
}

static int key_put_text(key_buffer *key, PyObject *text) {
    Py_ssize_t size;
    const char *data;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "provisional_ids: expected str in an item");
        return -1;
    }
    data = PyUnicode_AsUTF8AndSize(text, &size);
    return data == NULL ? -1 : key_put(key, data, (size_t)size);
}

static int key_put_number(key_buffer *key, PyObject *number, Py_ssize_t minus) {
    char digits[24];
    Py_ssize_t value = PyLong_AsSsize_t(number);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    value -= minus;
    /* decimal digits, as str(int) writes them (snprintf costs more than the hash) */
    int negative = value < 0;
    size_t magnitude = negative ? (size_t)0 - (size_t)value : (size_t)value;
    char *end = digits + sizeof digits, *at = end;
    do {
        *--at = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (negative) {
        *--at = '-';
    }
    return key_put(key, at, (size_t)(end - at));
}

/* provisional_ids(buffer, prefix, offset, content, items, plb): see speedups.py. */
static PyObject *provisional_ids(PyObject *module, PyObject *args) {
    PyObject *buffer, *prefix, *content, *items;
    Py_ssize_t offset;
    int plb;
    if (!PyArg_ParseTuple(args, "O!UnUO!p:provisional_ids", &PyByteArray_Type, &buffer, &prefix,
                          &offset, &content, &PyList_Type, &items, &plb)) {
        return NULL;
    }
    Py_ssize_t prefix_size, content_size;
    const char *prefix_data = PyUnicode_AsUTF8AndSize(prefix, &prefix_size);
    const char *content_data = PyUnicode_AsUTF8AndSize(content, &content_size);
    if (prefix_data == NULL || content_data == NULL) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(items);
    Py_ssize_t at = PyByteArray_GET_SIZE(buffer);
    if (PyByteArray_Resize(buffer, at + 32 * count) < 0) {
        return NULL;
    }
    key_buffer key;
    key.data = key.stack;
    key.capacity = sizeof key.stack;
    int failed = 0;
    for (Py_ssize_t i = 0; i < count && !failed; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 5) {
            PyErr_SetString(PyExc_TypeError, "provisional_ids: expected tuples of 5 or more");
            failed = 1;
            break;
        }
        key.size = 0;
        failed = key_put(&key, prefix_data, (size_t)prefix_size) < 0 ||
                 key_put_number(&key, PyTuple_GET_ITEM(item, 0), offset) < 0 ||
                 key_put(&key, "\x1f", 1) < 0 ||
                 key_put_number(&key, PyTuple_GET_ITEM(item, 1), 0) < 0 ||
                 key_put(&key, "\x1f", 1) < 0;
        if (!failed && plb) {
            failed = key_put_text(&key, PyTuple_GET_ITEM(item, 2)) < 0 ||
                     key_put(&key, "\x1f", 1) < 0 ||
                     key_put_text(&key, PyTuple_GET_ITEM(item, 3)) < 0;
        } else if (!failed) {
            failed = key_put(&key, content_data, (size_t)content_size) < 0 ||
                     key_put_text(&key, PyTuple_GET_ITEM(item, 2)) < 0 ||
                     key_put(&key, "\x1f", 1) < 0 ||
                     key_put_text(&key, PyTuple_GET_ITEM(item, 3)) < 0 ||
                     key_put(&key, "\x1f", 1) < 0 ||
                     key_put_text(&key, PyTuple_GET_ITEM(item, 4)) < 0;
        }
        if (!failed) {
            sha256_ctx ctx;
            sha256_init(&ctx);
            sha256_update(&ctx, (const unsigned char *)key.data, key.size);
            sha256_hex32(&ctx, PyByteArray_AS_STRING(buffer) + at + 32 * i);
        }
    }
    if (key.data != key.stack) {
        PyMem_Free(key.data);
    }
    if (failed) {
        PyByteArray_Resize(buffer, at);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* finish_ids(prefix, buffer) -> (fingerprint, ids): see speedups.py. */
static PyObject *finish_ids(PyObject *module, PyObject *args) {
    PyObject *prefix, *buffer;
    if (!PyArg_ParseTuple(args, "UO!:finish_ids", &prefix, &PyByteArray_Type, &buffer)) {
        return NULL;
    }
    Py_ssize_t prefix_size;
    const char *prefix_data = PyUnicode_AsUTF8AndSize(prefix, &prefix_size);
    if (prefix_data == NULL) {
        return NULL;
    }
    Py_ssize_t size = PyByteArray_GET_SIZE(buffer);
    if (size % 32) {
        PyErr_SetString(PyExc_ValueError, "finish_ids: the buffer holds whole 32-byte ids");
        return NULL;
    }
    const char *provisional = PyByteArray_AS_STRING(buffer);
    Py_ssize_t count = size / 32;
    sha256_ctx whole;
    char fingerprint[32];
    sha256_init(&whole);
    sha256_update(&whole, (const unsigned char *)prefix_data, (size_t)prefix_size);
    sha256_update(&whole, (const unsigned char *)provisional, (size_t)size);
    sha256_hex32(&whole, fingerprint);
    PyObject *ids = PyList_New(count);
    if (ids == NULL) {
        return NULL;
    }
    sha256_ctx seeded; /* the state after the fingerprint, copied for each id */
    sha256_init(&seeded);
    sha256_update(&seeded, (const unsigned char *)fingerprint, 32);
    for (Py_ssize_t i = 0; i < count; i++) {
        sha256_ctx ctx = seeded;
        char out[32];
        sha256_update(&ctx, (const unsigned char *)provisional + 32 * i, 32);
        sha256_hex32(&ctx, out);
        PyObject *id = PyUnicode_FromStringAndSize(out, 32);
        if (id == NULL) {
            Py_DECREF(ids);
            return NULL;
        }
        PyList_SET_ITEM(ids, i, id);
    }
    PyObject *fingerprint_text = PyUnicode_FromStringAndSize(fingerprint, 32);
    if (fingerprint_text == NULL) {
        Py_DECREF(ids);
        return NULL;
    }
    PyObject *result = PyTuple_Pack(2, fingerprint_text, ids);
    Py_DECREF(fingerprint_text);
    Py_DECREF(ids);
    return result;
}

/* ---- segment splitting ------------------------------------------------------------------ */

static int single_latin1(PyObject *text, Py_UCS4 *out) {
    if (PyUnicode_GET_LENGTH(text) != 1) {
        return 0;
    }
    *out = PyUnicode_READ_CHAR(text, 0);
    return *out < 256;
}

static PyObject *split_segments(PyObject *module, PyObject *args) {
    PyObject *block, *terminator, *element, *strip;
    Py_UCS4 term, elem;
    if (!PyArg_ParseTuple(args, "UUUU:split_segments", &block, &terminator, &element, &strip)) {
        return NULL;
    }
    if (PyUnicode_KIND(block) != PyUnicode_1BYTE_KIND || !single_latin1(terminator, &term) ||
        !single_latin1(element, &elem)) {
        Py_RETURN_NONE; /* the caller does it in Python */
    }
    unsigned char strips[256];
    memset(strips, 0, sizeof strips);
    Py_ssize_t strip_size = PyUnicode_GET_LENGTH(strip);
    for (Py_ssize_t i = 0; i < strip_size; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(strip, i);
        if (c < 256) {
            strips[c] = 1;
        }
    }
    const unsigned char *data = PyUnicode_1BYTE_DATA(block);
    Py_ssize_t size = PyUnicode_GET_LENGTH(block);
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t start = 0;
    while (start <= size) {
        const unsigned char *found = memchr(data + start, (int)term, (size_t)(size - start));
        Py_ssize_t end = found ? (Py_ssize_t)(found - data) : size;
        Py_ssize_t first = start, last = end;
        while (first < last && strips[data[first]]) {
            first++;
        }
        while (last > first && strips[data[last - 1]]) {
            last--;
        }
        if (last > first) {
            PyObject *elements = PyList_New(0);
            if (elements == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            Py_ssize_t piece = first;
            for (;;) {
                const unsigned char *cut =
                    memchr(data + piece, (int)elem, (size_t)(last - piece));
                Py_ssize_t piece_end = cut ? (Py_ssize_t)(cut - data) : last;
                PyObject *text =
                    PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, data + piece, piece_end - piece);
                if (text == NULL || PyList_Append(elements, text) < 0) {
                    Py_XDECREF(text);
                    Py_DECREF(elements);
                    Py_DECREF(out);
                    return NULL;
                }
                Py_DECREF(text);
                if (cut == NULL) {
                    break;
                }
                piece = piece_end + 1;
            }
            if (PyList_Append(out, elements) < 0) {
                Py_DECREF(elements);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(elements);
        }
        if (found == NULL) {
            break;
        }
        start = end + 1;
    }
    return out;
}

/* ---- JSON lines of CAS items ------------------------------------------------------------ */

/* The JSON string of a code: quoted as it is when plain printable ASCII, else escape(text). */
static PyObject *json_code(PyObject *text, PyObject *escape) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "cas_json: expected str codes");
        return NULL;
    }
    if (PyUnicode_IS_ASCII(text)) {
        const unsigned char *data = PyUnicode_1BYTE_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        int plain = 1;
        for (Py_ssize_t i = 0; i < size && plain; i++) {
            plain = data[i] >= 0x20 && data[i] != '"' && data[i] != '\\' && data[i] != 0x7f;
        }
        if (plain) {
            PyObject *quoted = PyUnicode_New(size + 2, 127);
            if (quoted == NULL) {
                return NULL;
            }
            unsigned char *out = PyUnicode_1BYTE_DATA(quoted);
            out[0] = '"';
            memcpy(out + 1, data, (size_t)size);
            out[size + 1] = '"';
            return quoted;
        }
    }
    return PyObject_CallOneArg(escape, text);
}

/* cas_json(out, ids, head, middle, tail, cas, pieces, escape): see speedups.py. */
static PyObject *cas_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8 || !PyList_Check(args[0]) || !PyUnicode_Check(args[2]) ||
        !PyUnicode_Check(args[3]) || !PyUnicode_Check(args[4]) || !PyList_Check(args[5]) ||
        !PyTuple_Check(args[6]) || PyTuple_GET_SIZE(args[6]) != 10) {
        PyErr_SetString(PyExc_TypeError,
                        "cas_json(out: list, ids: iterator, head: str, middle: str, tail: str, "
                        "cas: list, pieces: 10-tuple of str, escape)");
        return NULL;
    }
    PyObject *out = args[0], *ids = args[1], *cas = args[5], *pieces = args[6];
    PyObject *escape = args[7];
    if (!PyIter_Check(ids)) {
        PyErr_SetString(PyExc_TypeError, "cas_json: ids must be an iterator");
        return NULL;
    }
    static PyObject *null_text = NULL, *quote_text = NULL;
    if (null_text == NULL && ((null_text = PyUnicode_InternFromString("null")) == NULL ||
                              (quote_text = PyUnicode_InternFromString("\"")) == NULL)) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(cas);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(cas, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 6) {
            PyErr_SetString(PyExc_TypeError, "cas_json: expected CAS tuples of 6");
            return NULL;
        }
        PyObject *id = PyIter_Next(ids);
        if (id == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "cas_json: fewer event ids than CAS items");
            }
            return NULL;
        }
        /* each step only after the one before succeeded: never call on with an error set */
        PyObject *segment = PyObject_Str(PyTuple_GET_ITEM(item, 0));
        PyObject *group = segment ? json_code(PyTuple_GET_ITEM(item, 2), escape) : NULL;
        PyObject *reason = group ? json_code(PyTuple_GET_ITEM(item, 3), escape) : NULL;
        PyObject *quantity = PyTuple_GET_ITEM(item, 5);
        PyObject *parts[17];
        int n = 0, failed = segment == NULL || group == NULL || reason == NULL;
        if (!failed) {
            parts[n++] = PyTuple_GET_ITEM(pieces, 0);
            parts[n++] = id;
            parts[n++] = PyTuple_GET_ITEM(pieces, 1);
            parts[n++] = args[2];
            parts[n++] = PyTuple_GET_ITEM(pieces, 2);
            parts[n++] = segment;
            parts[n++] = PyTuple_GET_ITEM(pieces, 3);
            parts[n++] = args[3];
            parts[n++] = PyTuple_GET_ITEM(pieces, 4);
            parts[n++] = group;
            parts[n++] = PyTuple_GET_ITEM(pieces, 5);
            parts[n++] = reason;
            parts[n++] = PyTuple_GET_ITEM(pieces, 6);
            parts[n++] = PyTuple_GET_ITEM(item, 4); /* the amount, validated: as it is */
            parts[n++] = PyTuple_GET_ITEM(pieces, 7);
            if (quantity == Py_None) {
                parts[n++] = null_text;
            } else {
                /* validated too: written between quotes as it is; the 3 pieces are joined */
                parts[n++] = quantity;
            }
            parts[n++] = PyTuple_GET_ITEM(pieces, 8);
        }
        PyObject *line = NULL;
        if (!failed) {
            Py_ssize_t size = 0;
            int ascii = 1;
            for (int k = 0; k < n; k++) {
                if (!PyUnicode_Check(parts[k])) {
                    PyErr_SetString(PyExc_TypeError, "cas_json: expected str pieces");
                    failed = 1;
                    break;
                }
                size += PyUnicode_GET_LENGTH(parts[k]);
                ascii &= PyUnicode_IS_ASCII(parts[k]) != 0;
            }
            if (!failed && !PyUnicode_Check(PyTuple_GET_ITEM(pieces, 9))) {
                PyErr_SetString(PyExc_TypeError, "cas_json: expected str pieces");
                failed = 1;
            }
            if (!failed) {
                PyObject *last = PyTuple_GET_ITEM(pieces, 9);
                Py_ssize_t quotes = quantity == Py_None ? 0 : 2;
                size += quotes + PyUnicode_GET_LENGTH(args[4]) + PyUnicode_GET_LENGTH(last);
                ascii &= PyUnicode_IS_ASCII(args[4]) && PyUnicode_IS_ASCII(last);
                if (ascii) {
                    line = PyUnicode_New(size, 127);
                    if (line != NULL) {
                        unsigned char *at = PyUnicode_1BYTE_DATA(line);
                        for (int k = 0; k < n; k++) {
                            Py_ssize_t piece = PyUnicode_GET_LENGTH(parts[k]);
                            if (k == 15 && quotes) {
                                *at++ = '"';
                            }
                            memcpy(at, PyUnicode_1BYTE_DATA(parts[k]), (size_t)piece);
                            at += piece;
                            if (k == 15 && quotes) {
                                *at++ = '"';
                            }
                        }
                        Py_ssize_t piece = PyUnicode_GET_LENGTH(args[4]);
                        memcpy(at, PyUnicode_1BYTE_DATA(args[4]), (size_t)piece);
                        at += piece;
                        memcpy(at, PyUnicode_1BYTE_DATA(last), (size_t)PyUnicode_GET_LENGTH(last));
                    }
                } else { /* not ASCII (never from the parser's own pieces): join them */
                    PyObject *list = PyList_New(0);
                    int bad = list == NULL;
                    for (int k = 0; k < n && !bad; k++) {
                        bad = (k == 15 && quotes && PyList_Append(list, quote_text) < 0) ||
                              PyList_Append(list, parts[k]) < 0 ||
                              (k == 15 && quotes && PyList_Append(list, quote_text) < 0);
                    }
                    bad = bad || PyList_Append(list, args[4]) < 0 || PyList_Append(list, last) < 0;
                    if (!bad) {
                        PyObject *empty = PyUnicode_New(0, 0);
                        line = empty == NULL ? NULL : PyUnicode_Join(empty, list);
                        Py_XDECREF(empty);
                    }
                    Py_XDECREF(list);
                }
                failed = line == NULL;
            }
        }
        Py_DECREF(id);
        Py_XDECREF(segment);
        Py_XDECREF(group);
        Py_XDECREF(reason);
        if (failed || PyList_Append(out, line) < 0) {
            Py_XDECREF(line);
            return NULL;
        }
        Py_DECREF(line);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"split_segments", split_segments, METH_VARARGS,
     "split_segments(block, terminator, element, strip) -> list of element lists, or None"},
    {"hash32", hash32, METH_O, "hash32(text) -> sha256(text.encode()).hexdigest()[:32]"},
    {"provisional_ids", provisional_ids, METH_VARARGS,
     "provisional_ids(buffer, prefix, offset, content, items, plb); see speedups.py"},
    {"cas_json", (PyCFunction)(void (*)(void))cas_json, METH_FASTCALL,
     "cas_json(out, ids, head, middle, tail, cas, pieces, escape); see speedups.py"},
    {"finish_ids", finish_ids, METH_VARARGS,
     "finish_ids(prefix, buffer) -> (fingerprint, event ids); see speedups.py"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_speedups",
                                        "Compiled parser helpers (see speedups.py).", -1,
                                        methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module_def); }
