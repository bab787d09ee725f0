"""files.getUploadURLExternal, the upload itself, files.completeUploadExternal, and canvases."""

from __future__ import annotations

from aiohttp import web

from sandbox.slack.args import Json, SlackError, arg, decoded, new_id
from sandbox.slack.workspace import EmChannel, Method, Workspace


def get_upload_url(ws: Workspace, p: Json) -> Json:
    name, length = arg(p, "filename"), arg(p, "length")
    if not length.isdigit():
        raise SlackError("invalid_arguments", ["[ERROR] length must be an integer"])
    file_id = new_id("F")
    ws.files[file_id] = {
        "id": file_id,
        "name": name,
        "title": name,
        "content": b"",
        "channel": None,
    }
    return {"upload_url": f"{ws.base_url()}/upload/{file_id}", "file_id": file_id}


async def receive_upload(ws: Workspace, request: web.Request) -> web.StreamResponse:
    """Take a file's bytes at the URL files.getUploadURLExternal gave (raw or multipart)."""
    file_id = request.match_info["file_id"]
    if file_id not in ws.files:
        return web.Response(status=404, text="file_not_found")
    data = b""
    if request.content_type.startswith("multipart/"):
        part = (await request.post()).get("file")
        if isinstance(part, web.FileField):
            data = part.file.read()
        elif isinstance(part, str):
            data = part.encode()
    else:
        data = await request.read()
    ws.files[file_id]["content"] = data
    ws.uploaded.add(file_id)
    return web.Response(text=f"OK - {len(data)}", content_type="text/plain")


def complete_upload(ws: Workspace, p: Json) -> Json:
    """Share uploaded files, in a message in the channel (and thread) if one is given."""
    items = decoded(p, "files", "invalid_arguments")
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, dict) and i.get("id") in ws.uploaded for i in items)
    ):
        raise SlackError("invalid_arguments", ["[ERROR] files were not uploaded"])
    target = p.get("channel_id") or str(p.get("channels") or "").split(",")[0]
    ch = ws.target(str(target)) if target else None
    files = [ws.files[i["id"]] for i in items]
    for item, f in zip(items, files, strict=True):
        f["title"] = item.get("title") or f["name"]
        f["channel"] = ch.id if ch else None
    if ch is not None:
        _share(ws, ch, p, files)
    return {"files": [_file_obj(f, ch) for f in files]}


def _share(ws: Workspace, ch: EmChannel, p: Json, files: list[Json]) -> None:
    thread_ts = str(p["thread_ts"]) if p.get("thread_ts") else None
    comment = str(p.get("initial_comment") or "")
    msg = ws.append(ch.id, ws.bot_user_id, comment, None, thread_ts, None)
    msg.files = [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in files]


def _file_obj(f: Json, ch: EmChannel | None) -> Json:
    return {
        "id": f["id"],
        "name": f["name"],
        "title": f["title"],
        "size": len(f["content"]),
        "channels": [ch.id] if ch else [],
    }


def create_channel_canvas(ws: Workspace, p: Json) -> Json:
    channel = ws.channel(p, "channel_id")
    if channel.id in ws.canvases:
        raise SlackError("channel_canvas_already_exists")
    content = decoded(p, "document_content", "invalid_arguments") or {}
    ws.canvases[channel.id] = str(content.get("markdown", ""))
    return {"canvas_id": new_id("F")}


METHODS: dict[str, Method] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "conversations.canvases.create": create_channel_canvas,
}
