/*
 * AUTH SECRET: SCRAM-SHA-256 (RFC 5802/7677 key schedule) with Argon2id
 * as the password hash, as specified in DESIGN §5 and immp(7) AUTH SECRET.
 * All primitives are libsodium's: crypto_pwhash (Argon2id13),
 * crypto_auth_hmacsha256, crypto_hash_sha256, sodium_memcmp.
 *
 *   SaltedPassword = Argon2id(password, salt, opslimit, memlimit), 32 B
 *   ClientKey      = HMAC-SHA-256(SaltedPassword, "Client Key")
 *   StoredKey      = SHA-256(ClientKey)
 *   ServerKey      = HMAC-SHA-256(SaltedPassword, "Server Key")
 *   AuthMessage    = "a=" account ",d=" base64(device) ",r=" n1
 *                    ",t=" n2 ",c=" cnonce ",b=" base64(cbind)
 *   ClientProof    = ClientKey XOR HMAC-SHA-256(StoredKey, AuthMessage)
 *   ServerSignature= HMAC-SHA-256(ServerKey, AuthMessage)
 * base64 is RFC 4648 with padding (sodium_base64_VARIANT_ORIGINAL); n2 is
 * decimal; cbind is the SHA-256 of the server certificate's DER
 * (RFC 5929 tls-server-end-point).
 */
#ifndef IMMP_SCRAM_H
#define IMMP_SCRAM_H

#include <stddef.h>
#include <stdint.h>

#define SCRAM_KEYLEN	32
#define SCRAM_SALTLEN	16
#define SCRAM_AUTHMSG_MAX	1024

struct scram_verifier {
	uint8_t		salt[SCRAM_SALTLEN];
	uint64_t	opslimit;
	uint64_t	memlimit;	/* octets */
	uint8_t		stored_key[SCRAM_KEYLEN];
	uint8_t		server_key[SCRAM_KEYLEN];
};

/*
 * scram_salted_password: Argon2id13 of password[0..len) into out.
 * opslimit/memlimit must be within libsodium's bounds.  Returns 0, or -1
 * (out of memory or bad parameters).
 */
int	 scram_salted_password(const char *password, size_t len,
	    const uint8_t salt[SCRAM_SALTLEN], uint64_t opslimit,
	    uint64_t memlimit, uint8_t out[SCRAM_KEYLEN]);

/* scram_keys: ClientKey, StoredKey and ServerKey from SaltedPassword. */
void	 scram_keys(const uint8_t salted[SCRAM_KEYLEN],
	    uint8_t client_key[SCRAM_KEYLEN], uint8_t stored_key[SCRAM_KEYLEN],
	    uint8_t server_key[SCRAM_KEYLEN]);

/*
 * scram_make_verifier: draws a random salt and fills *v from password.
 * The password and SaltedPassword are wiped before return.  Returns 0/-1.
 */
int	 scram_make_verifier(const char *password, size_t len,
	    uint64_t opslimit, uint64_t memlimit, struct scram_verifier *v);

/*
 * scram_auth_message: writes the AuthMessage (no NUL counted) into buf.
 * Returns its length, or -1 if buf (size) is too small or a field holds
 * a ',' (account, n1, cnonce) or a control character.
 */
int	 scram_auth_message(char *buf, size_t size, const char *account,
	    const char *device, const char *n1, uint64_t n2,
	    const char *cnonce, const uint8_t cbind[SCRAM_KEYLEN]);

/* scram_client_proof: ClientProof for authmsg[0..len). */
void	 scram_client_proof(const uint8_t client_key[SCRAM_KEYLEN],
	    const uint8_t stored_key[SCRAM_KEYLEN], const char *authmsg,
	    size_t len, uint8_t proof[SCRAM_KEYLEN]);

/*
 * scram_verify_proof: recovers ClientKey from proof and checks
 * SHA-256(ClientKey) == StoredKey in constant time.  Returns 1 if the
 * proof is valid, 0 otherwise.
 */
int	 scram_verify_proof(const struct scram_verifier *, const char *authmsg,
	    size_t len, const uint8_t proof[SCRAM_KEYLEN]);

/* scram_server_signature: ServerSignature for authmsg[0..len). */
void	 scram_server_signature(const uint8_t server_key[SCRAM_KEYLEN],
	    const char *authmsg, size_t len, uint8_t sig[SCRAM_KEYLEN]);

/*
 * Verifier text form, as stored in the users table (immpd-tables(5)):
 *   "$immp-scram-sha256$argon2id13$o=<ops>$m=<mem>$<salt>$<StoredKey>$<ServerKey>"
 * with base64 fields.  scram_verifier_encode returns its length or -1 if
 * size is too small; scram_verifier_decode returns 0, or -1 for any
 * deviation from the format.
 */
int	 scram_verifier_encode(const struct scram_verifier *, char *buf,
	    size_t size);
int	 scram_verifier_decode(const char *s, struct scram_verifier *);

#endif
