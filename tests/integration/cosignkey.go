// An independent implementation of cosign's encrypted private key format for the tests, written
// in Go on the same primitives cosign uses (golang.org/x/crypto scrypt and nacl/secretbox, Go's
// encoding/json for []byte fields, x509 PKCS#8), none of them shared with quench.
//
//	cosignkey open KEY PUB     decrypt KEY with $COSIGN_PASSWORD, check that it is PKCS#8 and that
//	                           its public half is PUB; print the key type
//	cosignkey seal PKCS8 OUT   encrypt an unencrypted PKCS#8 PEM key into OUT with $COSIGN_PASSWORD
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

const pemType = "ENCRYPTED SIGSTORE PRIVATE KEY"

type envelope struct {
	KDF struct {
		Name   string `json:"name"`
		Params struct {
			N int `json:"N"`
			R int `json:"r"`
			P int `json:"p"`
		} `json:"params"`
		Salt []byte `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

func password() ([]byte, error) {
	pw, ok := os.LookupEnv("COSIGN_PASSWORD")
	if !ok {
		return nil, errors.New("COSIGN_PASSWORD is not set")
	}
	return []byte(pw), nil
}

// boxKey derives the secretbox key from the password under the envelope's scrypt parameters.
func boxKey(pw []byte, env *envelope) (*[32]byte, *[24]byte, error) {
	key, err := scrypt.Key(pw, env.KDF.Salt, env.KDF.Params.N, env.KDF.Params.R, env.KDF.Params.P, 32)
	if err != nil {
		return nil, nil, err
	}
	var k [32]byte
	var nonce [24]byte
	copy(k[:], key)
	copy(nonce[:], env.Cipher.Nonce)
	return &k, &nonce, nil
}

func readPEM(path, want string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != want {
		return nil, fmt.Errorf("%s: no %q PEM block", path, want)
	}
	return blk.Bytes, nil
}

func open(keyPath, pubPath string) error {
	pw, err := password()
	if err != nil {
		return err
	}
	body, err := readPEM(keyPath, pemType)
	if err != nil {
		return err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	if env.KDF.Name != "scrypt" || env.Cipher.Name != "nacl/secretbox" || len(env.Cipher.Nonce) != 24 {
		return fmt.Errorf("unexpected envelope: kdf %q, cipher %q, nonce %d bytes", env.KDF.Name,
			env.Cipher.Name, len(env.Cipher.Nonce))
	}
	k, nonce, err := boxKey(pw, &env)
	if err != nil {
		return err
	}
	der, ok := secretbox.Open(nil, env.Ciphertext, nonce, k)
	if !ok {
		return errors.New("decryption failed (wrong password or corrupt key)")
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return err
	}
	pubDER, err := readPEM(pubPath, "PUBLIC KEY")
	if err != nil {
		return err
	}
	var mine []byte
	kind := ""
	switch p := priv.(type) {
	case *ecdsa.PrivateKey:
		mine, err = x509.MarshalPKIXPublicKey(&p.PublicKey)
		kind = "ecdsa-" + p.Curve.Params().Name
	case ed25519.PrivateKey:
		mine, err = x509.MarshalPKIXPublicKey(p.Public())
		kind = "ed25519"
	default:
		return fmt.Errorf("unexpected key type %T", priv)
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(mine, pubDER) {
		return errors.New("the private key does not belong to the public key")
	}
	fmt.Println(kind)
	return nil
}

func seal(inPath, outPath string) error {
	pw, err := password()
	if err != nil {
		return err
	}
	der, err := readPEM(inPath, "PRIVATE KEY")
	if err != nil {
		return err
	}
	var env envelope
	env.KDF.Name = "scrypt"
	env.KDF.Params.N, env.KDF.Params.R, env.KDF.Params.P = 65536, 8, 1
	env.KDF.Salt = make([]byte, 32)
	env.Cipher.Name = "nacl/secretbox"
	env.Cipher.Nonce = make([]byte, 24)
	if _, err := rand.Read(env.KDF.Salt); err != nil {
		return err
	}
	if _, err := rand.Read(env.Cipher.Nonce); err != nil {
		return err
	}
	k, nonce, err := boxKey(pw, &env)
	if err != nil {
		return err
	}
	env.Ciphertext = secretbox.Seal(nil, der, nonce, k)
	body, err := json.Marshal(&env)
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: body}), 0600)
}

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "open":
		err = open(os.Args[2], os.Args[3])
	case len(os.Args) == 4 && os.Args[1] == "seal":
		err = seal(os.Args[2], os.Args[3])
	default:
		err = errors.New("usage: cosignkey open KEY PUB | cosignkey seal PKCS8 OUT")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cosignkey:", err)
		os.Exit(1)
	}
}
