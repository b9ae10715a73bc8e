# A test service mesh CA made with OpenSSL, issuing X.509-SVIDs (URI SAN
# spiffe://...), good and hostile.  Source after harness.sh.
#   mesh_ca NAME                      a root CA: $T_TMP/NAME.pem, NAME.key
#   mesh_svid NAME CA EXT [START END] an SVID: $T_TMP/NAME.pem, NAME.key, signed
#                                     by CA with the extensions EXT (openssl
#                                     extfile text); START/END: validity
#                                     (YYYYMMDDHHMMSSZ), default now..+1 day
#   mesh_svid_ext URI...              the extensions of a good SVID with these URI SANs
#   mesh_server_tls                   meshcad's own TLS (not the mesh CA): a root
#                                     $T_TMP/tls-ca.pem and server.pem/.key for 127.0.0.1

mesh_server_tls() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=tls-ca" -keyout "$T_TMP/tls-ca.key" -out "$T_TMP/tls-ca.pem" >>"$T_LOG" 2>&1
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=meshcad" \
        -keyout "$T_TMP/server.key" -out "$T_TMP/server.csr" >>"$T_LOG" 2>&1
    printf 'subjectAltName=IP:127.0.0.1\n' >"$T_TMP/server.ext"
    openssl x509 -req -in "$T_TMP/server.csr" -CA "$T_TMP/tls-ca.pem" -CAkey "$T_TMP/tls-ca.key" \
        -CAcreateserial -days 1 -extfile "$T_TMP/server.ext" -out "$T_TMP/server.pem" >>"$T_LOG" 2>&1
    chmod 600 "$T_TMP"/*.key
}

mesh_ca() {
    mkdir -p "$T_TMP/meshca-db/new"
    : >"$T_TMP/meshca-db/index.txt"
    [ -f "$T_TMP/meshca-db/serial" ] || echo 1000 >"$T_TMP/meshca-db/serial"
    cat >"$T_TMP/meshca-db/ca.cnf" <<CNF
[ca]
default_ca = mesh
[mesh]
database = $T_TMP/meshca-db/index.txt
new_certs_dir = $T_TMP/meshca-db/new
serial = $T_TMP/meshca-db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = optional
organizationName = optional
CNF
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/O=test mesh/CN=$1" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$T_TMP/$1.key" -out "$T_TMP/$1.pem" >>"$T_LOG" 2>&1 ||
        bail "openssl: mesh CA $1"
    chmod 600 "$T_TMP/$1.key"
}

mesh_svid_ext() {
    local sans="" u
    for u in "$@"; do sans="${sans:+$sans,}URI:$u"; done
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=clientAuth,serverAuth\nsubjectAltName=%s\n' "$sans"
}

mesh_svid() {
    local name=$1 ca=$2 ext=$3
    local start=${4:-$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)} end=${5:-$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)}
    printf '%s\n' "$ext" >"$T_TMP/$name.ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=SPIRE" \
        -keyout "$T_TMP/$name.key" -out "$T_TMP/$name.csr" >>"$T_LOG" 2>&1 &&
        openssl ca -batch -notext -config "$T_TMP/meshca-db/ca.cnf" -cert "$T_TMP/$ca.pem" \
            -keyfile "$T_TMP/$ca.key" -in "$T_TMP/$name.csr" -out "$T_TMP/$name.pem" \
            -extfile "$T_TMP/$name.ext" -startdate "$start" -enddate "$end" >>"$T_LOG" 2>&1 ||
        bail "openssl: SVID $name"
    chmod 600 "$T_TMP/$name.key"
}
