"""Argon2id13 through libsodium's crypto_pwhash (ctypes), for the
independent SCRAM client of the integration tests: the Python standard
library has no Argon2."""

import ctypes
import ctypes.util

ALG_ARGON2ID13 = 2


def _load():
    for name in ("libsodium.so.23", ctypes.util.find_library("sodium")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise OSError("libsodium not found (install libsodium23)")


_lib = _load()
if _lib.sodium_init() < 0:
    raise OSError("sodium_init failed")
_lib.crypto_pwhash.restype = ctypes.c_int
_lib.crypto_pwhash.argtypes = [
    ctypes.c_char_p, ctypes.c_ulonglong,    # out, outlen
    ctypes.c_char_p, ctypes.c_ulonglong,    # passwd, passwdlen
    ctypes.c_char_p,                        # salt (16 octets)
    ctypes.c_ulonglong, ctypes.c_size_t,    # opslimit, memlimit
    ctypes.c_int,                           # alg
]


def argon2id(password: bytes, salt: bytes, opslimit: int, memlimit: int,
             outlen: int = 32) -> bytes:
    """SaltedPassword = Argon2id13(password, salt, opslimit, memlimit)."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 octets")
    out = ctypes.create_string_buffer(outlen)
    rc = _lib.crypto_pwhash(out, outlen, password, len(password), salt,
                            opslimit, memlimit, ALG_ARGON2ID13)
    if rc != 0:
        raise ValueError("crypto_pwhash failed (bad parameters or memory)")
    return out.raw
