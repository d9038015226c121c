"""A local root opens and deletes only what is below it, one folder at a time, following no
link: the landing lists an inbox, then reads and deletes it later, and anything swapped in
between (a link, a FIFO) must be refused, not followed or waited on."""

import os

import pytest

from storage.roots import GONE, NotAFile, Root


@pytest.fixture
def root(tmp_path) -> Root:
    (tmp_path / "root" / "S0001").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "key").write_bytes(b"secret")
    (tmp_path / "root" / "S0001" / "a.zip").write_bytes(b"regular")
    return Root(str(tmp_path / "root"))


def test_a_link_a_fifo_and_a_path_below_a_link_are_not_read(root, tmp_path):
    base = tmp_path / "root"
    (base / "S0001" / "link.zip").symlink_to(tmp_path / "outside" / "key")
    os.mkfifo(base / "S0001" / "fifo.zip")  # opened without O_NONBLOCK, this would hang
    (base / "S0002").symlink_to(tmp_path / "outside")
    read, not_files = root.read_files(
        ["S0001/a.zip", "S0001/link.zip", "S0001/fifo.zip", "S0002/key"]
    )
    assert read == {"S0001/a.zip": b"regular"}
    assert not_files == {
        "S0001/link.zip": "a symbolic link",
        "S0001/fifo.zip": "a FIFO",
        "S0002/key": "below a symbolic link ('S0002')",
    }
    with pytest.raises(NotAFile):
        root.read_many(["S0001/link.zip"])
    with pytest.raises(NotAFile):
        root.open_read("S0002/key")
    with root.open_read("S0001/a.zip") as src:
        assert src.read() == b"regular"


def test_the_listing_names_what_is_not_a_file_and_follows_no_link(root, tmp_path):
    base = tmp_path / "root"
    (base / "S0001" / "link.zip").symlink_to(tmp_path / "outside" / "key")
    (base / "S0002").symlink_to(tmp_path / "outside")
    (base / "S0001" / "x.zip").mkdir()
    listing = root.list_entries()
    assert listing.sizes == {"S0001/a.zip": 7}
    assert listing.not_files == {
        "S0001/link.zip": "a symbolic link",
        "S0002": "a symbolic link",
        "S0001/x.zip/": "an empty folder",
    }
    assert root.list_sizes() == listing.sizes


def test_deletes_remove_links_never_their_targets_nor_through_a_link(root, tmp_path):
    base = tmp_path / "root"
    (base / "S0001" / "link.zip").symlink_to(tmp_path / "outside" / "key")
    root.delete_many(["S0001/link.zip"])
    assert not (base / "S0001" / "link.zip").is_symlink()
    # The contract folder becomes a link to a folder holding a file of the listed name.
    os.rename(base / "S0001", tmp_path / "moved")
    (tmp_path / "outside" / "a.zip").write_bytes(b"not the inbox's")
    (base / "S0001").symlink_to(tmp_path / "outside")
    root.delete_many(["S0001/a.zip"])
    root.delete("S0001/a.zip")
    assert (tmp_path / "outside" / "a.zip").read_bytes() == b"not the inbox's"
    assert (tmp_path / "outside" / "key").read_bytes() == b"secret"


def test_open_files_refuses_what_is_no_file_now_and_keeps_what_it_opened(root, tmp_path):
    """What the landing's commit copies is opened before it: a link, a FIFO or nothing at a
    listed path is named, not opened; a file opened stays the file read, whatever is put in
    its place afterwards."""
    base = tmp_path / "root"
    (base / "S0001" / "link.zip").symlink_to(tmp_path / "outside" / "key")
    os.mkfifo(base / "S0001" / "fifo.zip")
    (base / "S0002").symlink_to(tmp_path / "outside")
    rels = ["S0001/a.zip", "S0001/link.zip", "S0001/fifo.zip", "S0001/gone.zip", "S0002/key"]
    rels.append("S0003/gone.zip")  # a folder that is gone too
    with root.open_files(rels) as (opened, refused):
        assert refused == {
            "S0001/link.zip": "a symbolic link",
            "S0001/fifo.zip": "a FIFO",
            "S0001/gone.zip": GONE,
            "S0002/key": "below a symbolic link ('S0002')",
            "S0003/gone.zip": GONE,
        }
        (base / "S0001" / "a.zip").unlink()
        (base / "S0001" / "a.zip").symlink_to(tmp_path / "outside" / "key")
        assert list(opened) == ["S0001/a.zip"]
        assert opened["S0001/a.zip"].read() == b"regular"
    assert opened["S0001/a.zip"].closed


def test_read_files_names_a_file_gone_since_the_listing(root):
    read, not_files = root.read_files(["S0001/a.zip", "S0001/gone.zip", "S0009/gone.zip"])
    assert read == {"S0001/a.zip": b"regular"}
    assert not_files == {"S0001/gone.zip": GONE, "S0009/gone.zip": GONE}
