package credentials

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// certificate builds a client certificate credential from a PKCS#12 (PFX) or PEM file, given by path or in Base64.
func (o Options) certificate(tenant, client, path, b64, password setting) (azcore.TokenCredential, error) {
	if path.value != "" && b64.value != "" {
		return nil, &InputError{Method: ClientCertificate, Attribute: inCertificate.attr,
			Detail: fmt.Sprintf("%s and %s are both set; set only one of them.", path.source, b64.source)}
	}
	from := path
	if b64.value != "" {
		from = b64
	}
	if err := require(ClientCertificate, from, tenant, client); err != nil {
		return nil, err
	}
	var data []byte
	var err error
	if path.value != "" {
		if data, err = os.ReadFile(path.value); err != nil {
			return nil, &InputError{Method: ClientCertificate, Attribute: path.attr, Detail: fmt.Sprintf("Reading %s: %v.", path.source, err)}
		}
	} else if data, err = base64.StdEncoding.DecodeString(strings.TrimSpace(b64.value)); err != nil {
		return nil, &InputError{Method: ClientCertificate, Attribute: b64.attr,
			Detail: b64.source + " is not valid Base64; encode the whole PFX or PEM file, e.g. with `base64 -w0 certificate.pfx`."}
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(password.value))
	if err != nil {
		return nil, &InputError{Method: ClientCertificate, Attribute: from.attr, Detail: fmt.Sprintf(
			"The certificate from %s could not be loaded as PKCS#12 (PFX) or PEM: %v. A PFX needs its password in %s (%s) "+
				"and SHA-1 integrity protection (`openssl pkcs12 -export -macalg sha1 -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES`); "+
				"a PEM file needs the certificate and an unencrypted private key.",
			from.source, err, inCertificatePassword.attr, strings.Join(inCertificatePassword.envs, ", "))}
	}
	return azidentity.NewClientCertificateCredential(tenant.value, client.value, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: o.clientOptions(), DisableInstanceDiscovery: o.DisableInstanceDiscovery})
}
