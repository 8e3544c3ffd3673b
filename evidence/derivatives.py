"""Browser-friendly views of originals: thumbnail, contact strip, playback copy, preview.

Each is a separate stored object that names the SHA-256 of the original it came from; originals are only read.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from django.db import transaction

from evidence.facts import DERIVATIVE_VERB, derivative_detail
from evidence.hashing import hash_file, hash_stream
from evidence.models import Blob, Derivative, Record
from evidence.store import StoredObject, default_store, store_named
from ledger.events import record_event
from policy.vocabulary import RecordKind

log = logging.getLogger(__name__)
THUMB_WIDTH = 320
STRIP_FRAMES = 8
PROXY_MAX_WIDTH = 1280


def stored_object(blob: Blob) -> StoredObject:
    return StoredObject(blob.backend, blob.key, blob.version_id)


@contextmanager
def local_path(blob: Blob) -> Iterator[Path]:
    """A local path to the blob's bytes: the object itself on the local store, a temporary copy from S3."""
    store = store_named(blob.backend)
    path = store.open_local_path(stored_object(blob))
    if path is not None:
        yield path
        return
    copy, name = store.new_staging_file(prefix="copy-")  # locked while in use (evidence.housekeeping)
    try:
        with copy:
            for chunk in store.read_range(stored_object(blob)):
                copy.write(chunk)
            copy.flush()
            yield name
    finally:
        name.unlink(missing_ok=True)


# What a viewer is shown of each kind of record: a copy made for the browser, never the original's bytes (000/1/4:
# viewing is not copying; originals leave only under a copying grant, in a package or on a disc).
VIEWING = {RecordKind.AV: Derivative.Kind.PROXY, RecordKind.AUDIO: Derivative.Kind.PREVIEW,
           RecordKind.PHOTO: Derivative.Kind.PREVIEW, RecordKind.DOCUMENT: Derivative.Kind.PREVIEW}
RASTER_DOCUMENTS = (".tif", ".tiff")


def shows(record: Record) -> bool:
    """Whether a viewing copy can be made of the record at all (documents only from PDF and scanned TIFF)."""
    if record.kind != RecordKind.DOCUMENT:
        return record.kind in VIEWING
    return _suffix(record) in (".pdf", *RASTER_DOCUMENTS)


def _suffix(record: Record) -> str:
    return Path(record.original_name).suffix.lower()  # the stored object is named by its hash, not its suffix


def viewing_copy(record: Record) -> tuple[Blob, str] | None:
    """The copy a viewer's browser is given, with its content type; None until one is made."""
    made = record.derivatives.filter(kind=VIEWING.get(record.kind)).select_related("blob").first()
    return (made.blob, made.content_type) if made else None


def make_all(record: Record) -> list[str]:
    made: list[str] = []
    if not record.playable:
        return made
    with local_path(record.blob) as source:
        if record.kind == RecordKind.AV:
            frames = _sample_frames(source, STRIP_FRAMES)
            if frames:
                _save(record, Derivative.Kind.THUMBNAIL, _jpeg(frames[len(frames) // 4], THUMB_WIDTH), "image/jpeg")
                _save(record, Derivative.Kind.CONTACT_STRIP, _jpeg(_strip(frames), None), "image/jpeg")
                made += [Derivative.Kind.THUMBNAIL, Derivative.Kind.CONTACT_STRIP]
            _save_transcoded(record, Derivative.Kind.PROXY, source, "video/mp4", video=True)
            made.append(Derivative.Kind.PROXY)
        elif record.kind == RecordKind.PHOTO or (record.kind == RecordKind.DOCUMENT
                                                 and _suffix(record) in RASTER_DOCUMENTS):
            made += _pictures(record, source)
        elif record.kind == RecordKind.AUDIO:
            _save_transcoded(record, Derivative.Kind.PREVIEW, source, "audio/mp4", video=False)
            made.append(Derivative.Kind.PREVIEW)
        elif record.kind == RecordKind.DOCUMENT and _suffix(record) == ".pdf":
            stamped = _stamped_pdf(record, source)
            if stamped is not None:
                _save(record, Derivative.Kind.PREVIEW, stamped, "application/pdf")
                made.append(Derivative.Kind.PREVIEW)
    return made


def _pictures(record: Record, source: Path) -> list[str]:
    from PIL import Image, ImageOps

    with Image.open(source) as image:
        preview = ImageOps.exif_transpose(image).convert("RGB")
        preview.thumbnail((1600, 1600))
        _save(record, Derivative.Kind.PREVIEW, _jpeg(preview, None), "image/jpeg")
        preview.thumbnail((THUMB_WIDTH, THUMB_WIDTH))
        _save(record, Derivative.Kind.THUMBNAIL, _jpeg(preview, None), "image/jpeg")
    return [Derivative.Kind.PREVIEW, Derivative.Kind.THUMBNAIL]


def _stamped_pdf(record: Record, source: Path) -> bytes | None:
    """The document rewritten with every page stamped as a viewing copy naming its original; None when the file
    cannot be read as a PDF (it is then shown to nobody and copied only under a grant)."""
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.errors import PyPdfError

    from lawtrace.pdf import render_pdf

    stamp = PdfReader(io.BytesIO(render_pdf("evidence/viewing_stamp.html", {"record": record}))).pages[0]
    try:
        writer = PdfWriter(clone_from=PdfReader(source))
        for page in writer.pages:
            box = page.mediabox
            page.merge_transformed_page(stamp, Transformation().scale(
                float(box.width) / float(stamp.mediabox.width), float(box.height) / float(stamp.mediabox.height)))
        writer.metadata = None  # the copy does not pass itself off with the original's properties
        buffer = io.BytesIO()
        writer.write(buffer)
    except (PyPdfError, ValueError, KeyError, OSError) as error:
        log.warning("record %s: no viewing copy of the document: %s", record.pk, error)
        return None
    return buffer.getvalue()


def _sample_frames(source: Path, count: int) -> list:
    import av

    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        total = float(container.duration / 1_000_000) if container.duration else None
        images = []
        if total and total > 2 and stream.time_base:
            for index in range(count):
                target = total * (index + 0.5) / count
                container.seek(int(target / stream.time_base), stream=stream, any_frame=False, backward=True)
                frame = next(container.decode(stream), None)
                if frame is not None:
                    images.append(frame.to_image())
        else:
            for frame in container.decode(stream):
                images.append(frame.to_image())
                if len(images) >= count:
                    break
        return images


def _strip(frames: list):
    from PIL import Image

    width = THUMB_WIDTH // 2
    tiles = [frame.copy() for frame in frames]
    for tile in tiles:
        tile.thumbnail((width, width))
    height = max(tile.height for tile in tiles)
    sheet = Image.new("RGB", (width * len(tiles), height), (0, 0, 0))
    for index, tile in enumerate(tiles):
        sheet.paste(tile, (index * width, 0))
    return sheet


def _jpeg(image, width: int | None) -> bytes:
    picture = image.convert("RGB")
    if width:
        picture.thumbnail((width, width))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _transcode(source: Path, target: Path, *, video: bool) -> None:
    """An H.264/AAC MP4 (or AAC-only M4A) the browser can play, written to ``target``."""
    import av

    with av.open(str(source)) as inp, av.open(str(target), "w", format="mp4") as out:
        in_video = inp.streams.video[0] if video and inp.streams.video else None
        in_audio = inp.streams.audio[0] if inp.streams.audio else None
        out_video = out_audio = resampler = None
        if in_video is not None:
            rate = in_video.average_rate or Fraction(25)
            out_video = out.add_stream("h264", rate=rate)
            width = min(in_video.codec_context.width, PROXY_MAX_WIDTH) // 2 * 2
            out_video.width = width
            out_video.height = int(in_video.codec_context.height * width / in_video.codec_context.width) // 2 * 2
            out_video.pix_fmt = "yuv420p"
            out_video.options = {"preset": "veryfast", "crf": "26"}
        if in_audio is not None:
            out_audio = out.add_stream("aac", rate=in_audio.codec_context.sample_rate or 44100)
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=out_audio.codec_context.sample_rate)
        streams = [s for s in (in_video, in_audio) if s is not None]
        for packet in inp.demux(*streams):
            for frame in packet.decode():
                if packet.stream is in_video:
                    picture = frame.reformat(width=out_video.width, height=out_video.height, format="yuv420p")
                    picture.pts = None
                    out.mux(out_video.encode(picture))
                else:
                    for piece in resampler.resample(frame):
                        piece.pts = None
                        out.mux(out_audio.encode(piece))
        if out_video is not None:
            out.mux(out_video.encode())
        if out_audio is not None:
            out.mux(out_audio.encode())


def _save(record: Record, kind: str, content: bytes, content_type: str) -> None:
    store = default_store()
    handle, staged = store.new_staging_file()
    with handle:
        digests = hash_stream(io.BytesIO(content), handle)
    _register(record, kind, store, staged, digests, content_type)


def _save_transcoded(record: Record, kind: str, source: Path, content_type: str, *, video: bool) -> None:
    """Transcode into a staging file that becomes the stored object itself (hashed, then linked: no copy)."""
    store = default_store()
    handle, staged = store.new_staging_file()  # the lock holds while the transcode writes, however long
    try:
        with handle:
            _transcode(source, staged, video=video)
            digests = hash_file(staged)
            _register(record, kind, store, staged, digests, content_type)
    finally:
        staged.unlink(missing_ok=True)


def _register(record: Record, kind: str, store, staged: Path, digests, content_type: str) -> None:
    """File the derivative and put its hash and its source's hash on the record, so fixity and ledger verification
    check every copy a person is shown against what was made."""
    stored, _new = store.commit(staged, digests)
    with transaction.atomic():
        blob, _created = Blob.objects.get_or_create(
            sha256=digests.sha256, defaults={"sm3": digests.sm3, "size": digests.size, "backend": stored.backend,
                                             "key": stored.key, "version_id": stored.version_id})
        Derivative.objects.update_or_create(record=record, kind=kind, defaults={
            "blob": blob, "source_sha256": record.blob.sha256, "content_type": content_type})
        record_event(DERIVATIVE_VERB, obj=record, agency_code=record.agency.code,
                     detail=derivative_detail(kind, blob, record.blob.sha256))
