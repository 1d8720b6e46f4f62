"""Uploaded files saved safely: secure_filename and FileStorage.save(folder, name=...).

docs/uploads.md shows the pattern these tests hold to.
"""

from __future__ import annotations

import io

import pytest

from erlen import request
from erlen.http.datastructures import FileStorage
from erlen.utils import secure_filename


@pytest.mark.parametrize(
    ("sent", "safe"),
    [
        ("report.txt", "report.txt"),
        ("../../x.txt", "x.txt"),
        ("..\\..\\x.txt", "x.txt"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("x.txt/..", "x.txt"),
        ("My holiday photo.JPG", "My_holiday_photo.JPG"),
        ("Mon été à Zürich.png", "Mon_ete_a_Zurich.png"),
        ("ﬁle.txt", "file.txt"),  # a ligature, folded by NFKD
        ("．．／x.txt", "x.txt"),  # full-width dots and slash
        (".htaccess", "htaccess"),
        ("...", ""),
        ("..", ""),
        ("", ""),
        ("   ", ""),
        ("文件", ""),
        ("-rf", "rf"),
        ("name.", "name"),
        ("a\x00b.txt", "ab.txt"),
        ("file.txt:$DATA", "file.txtDATA"),
        ("<script>.html", "script.html"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("LPT9", "_LPT9"),
        ("COM¹.log", "_COM1.log"),
        ("CONSOLE.txt", "CONSOLE.txt"),  # only the device names themselves
    ],
)
def test_secure_filename(sent, safe):
    assert secure_filename(sent) == safe


def test_secure_filename_keeps_names_short_and_their_extension():
    name = secure_filename("a" * 400 + ".tar")
    assert len(name) == 255
    assert name.endswith("a.tar")
    assert len(secure_filename("b" * 400)) == 255


def test_secure_filename_is_where_werkzeug_users_look():
    import erlen.utils

    assert erlen.utils.__all__ == sorted(erlen.utils.__all__)
    from erlen.sendfile import safe_join

    assert erlen.utils.safe_join is safe_join


# -- a real upload, both protocols ----------------------------------------------


def _upload(disposition: str, data: bytes = b"uploaded") -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="f"; '
        + disposition.encode()
        + b"\r\nContent-Type: text/plain\r\n\r\n"
        + data
        + b"\r\n--B--\r\n"
    )


HOSTILE_NAMES = {
    "dotdot": ('filename="../../x.txt"', "../../x.txt", "x.txt"),
    "encoded-dotdot": ("filename*=UTF-8''..%2F..%2Fy.txt", "../../y.txt", "y.txt"),
    "absolute": ('filename="/tmp/z.txt"', "/tmp/z.txt", "z.txt"),
}


@pytest.fixture
def uploads(app, tmp_path):
    folder = tmp_path / "a" / "b" / "uploads"
    folder.mkdir(parents=True)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/safe")
    def safe():
        upload = request.files["f"]
        name = secure_filename(upload.filename)
        upload.save(folder, name=name)
        return {"sent": upload.filename, "saved": name}

    @app.post("/careless")
    def careless():
        upload = request.files["f"]
        upload.save(folder, name=upload.filename)  # the client's name, unchecked
        return "saved"

    return folder


def _post(client, path, disposition):
    return client.post(
        path, data=_upload(disposition), content_type="multipart/form-data; boundary=B"
    )


def _files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("case", HOSTILE_NAMES)
def test_upload_with_a_hostile_name_is_saved_in_the_folder(client, uploads, tmp_path, case):
    disposition, sent, saved = HOSTILE_NAMES[case]
    response = _post(client, "/safe", disposition)
    assert response.status_code == 200
    assert response.json == {"sent": sent, "saved": saved}
    assert (uploads / saved).read_bytes() == b"uploaded"
    assert _files_under(tmp_path) == [f"a/b/uploads/{saved}"]


@pytest.mark.parametrize("case", HOSTILE_NAMES)
def test_save_refuses_a_name_that_leaves_the_folder(client, uploads, tmp_path, case):
    response = _post(client, "/careless", HOSTILE_NAMES[case][0])
    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert _files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x.txt", "holds a path"),
        ("a/b.txt", "holds a path"),
        ("..\\x.txt", "holds a path"),
        ("x\x00.txt", "holds a path"),
        ("..", "names a folder"),
        ("", "empty"),
        ("C:x.txt", "absolute path or a drive"),
    ],
)
def test_save_says_why_a_name_is_refused(tmp_path, name, why):
    upload = FileStorage(io.BytesIO(b"data"), "sent.txt")
    with pytest.raises(ValueError, match=why) as info:
        upload.save(tmp_path, name=name)
    assert "secure_filename" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_save_does_not_write_through_a_link_out_of_the_folder(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    outside = tmp_path / "outside.txt"
    (folder / "avatar.png").symlink_to(outside)  # planted before the upload
    (folder / "inner.png").symlink_to(folder / "real.png")
    upload = FileStorage(io.BytesIO(b"data"), "avatar.png")
    with pytest.raises(ValueError, match="link to a place outside the folder"):
        upload.save(folder, name="avatar.png")
    assert not outside.exists()
    upload.save(folder, name="inner.png")  # a link that stays inside is fine
    assert (folder / "real.png").read_bytes() == b"data"


def test_save_into_a_folder_without_a_name_says_what_to_do(tmp_path):
    upload = FileStorage(io.BytesIO(b"data"), "sent.txt")
    with pytest.raises(IsADirectoryError, match="name=secure_filename"):
        upload.save(tmp_path)
    with pytest.raises(TypeError, match="folder as a path"):
        upload.save(io.BytesIO(), name="x.txt")
    upload.save(tmp_path, name="ok.txt")
    assert (tmp_path / "ok.txt").read_bytes() == b"data"
