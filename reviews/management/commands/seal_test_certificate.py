"""Write a self-signed TEST certificate, the keys and a seal picture for signing bulletins in a demo."""

import datetime
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand

from reviews import seal


def _seal_picture(path: Path, office: str) -> None:
    """A red seal for the demo (not an office's real seal): a ring, a star, the office's name and 测试专用."""
    from PIL import Image, ImageDraw, ImageFont

    size = 420
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 16, 16, 235)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=14)
    centre, radius, inner = size / 2, 62, 24
    import math

    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=red)
    try:
        font = ImageFont.truetype("NotoSerifCJK-Regular.ttc", 34)
    except OSError:
        try:
            font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 34)
        except OSError:
            font = ImageFont.load_default()
    for text, y in ((office, 92), ("测试专用", 300)):
        width = draw.textlength(text, font=font)
        draw.text((centre - width / 2, y), text, fill=red, font=font)
    image.save(path)


class Command(BaseCommand):
    help = ("Write a self-signed TEST certificate and key (PAdES, for the PDF), an SM2 key and self-signed SM2 "
            "certificate (for the OFD) and a demo seal picture into DIR, and print the settings that use them. "
            "For demonstrations and tests only: a real deployment uses the office's own certificate.")

    def add_arguments(self, parser):
        parser.add_argument("--dir", default="var/seal", help="where to write the files (default var/seal)")
        parser.add_argument("--office", default="广州市人民政府办公厅", help="the office named in the certificate")
        parser.add_argument("--force", action="store_true", help="replace files already there")

    def handle(self, *args, dir, office, force=False, **options):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        folder = Path(dir)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"BULLETIN_SIGNING_KEY": folder / "signing-key.pem", "BULLETIN_SIGNING_CERT": folder / "signing-cert.pem",
                 "BULLETIN_SM2_KEY": folder / "sm2-key.hex", "BULLETIN_SM2_CERT": folder / "sm2-cert.der",
                 "BULLETIN_SEAL_IMAGE": folder / "seal.png"}
        if force or not all(path.exists() for path in paths.values()):
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                              x509.NameAttribute(NameOID.ORGANIZATION_NAME, office),
                              x509.NameAttribute(NameOID.COMMON_NAME, f"{office}（测试证书）")])
            now = datetime.datetime.now(datetime.UTC)
            certificate = (
                x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=730))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
            paths["BULLETIN_SIGNING_KEY"].write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            paths["BULLETIN_SIGNING_CERT"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
            sm2_key = format(secrets.randbelow(seal._SM2_N - 2) + 1, "064x")  # noqa: SLF001 - the curve's order
            paths["BULLETIN_SM2_KEY"].write_text(sm2_key + "\n")
            paths["BULLETIN_SM2_CERT"].write_bytes(seal.sm2_self_signed_certificate(sm2_key, common_name=office))
            _seal_picture(paths["BULLETIN_SEAL_IMAGE"], office)
            for path in (paths["BULLETIN_SIGNING_KEY"], paths["BULLETIN_SM2_KEY"]):
                path.chmod(0o600)
        for setting, path in paths.items():
            self.stdout.write(f"{setting}={path.resolve()}")
