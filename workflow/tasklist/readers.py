"""Recognise a file by its content and read it into neutral tables."""


from workflow.platform.errors import InvalidInput
from workflow.platform.office_limits import (
    Deadline,
    ImportLimitExceeded,
    ImportLimits,
    open_package,
    scan_package,
)
from workflow.tasklist.errors import TaskListError
from workflow.tasklist.office_readers import read_docx, read_xlsx
from workflow.tasklist.table import SourceTable
from workflow.tasklist.text_reader import read_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def read_tables(data: bytes, filename: str, limits: ImportLimits | None = None) -> list[SourceTable]:
    """Dispatch on the content: .docx, .xlsx, or UTF-8/GB18030 text.

    A .docx or .xlsx is checked against ``limits`` (zip directory, then a streaming scan of
    every XML part: ``workflow.platform.office_limits``) before a library reads it; a limit
    passed is an ``ImportLimitExceeded`` (400 naming the limit), not a TaskListError.
    """
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise TaskListError(f"文件“{filename}”为空", part=filename)
    if data.startswith(OLE_MAGIC):
        raise _ole_error(data, filename)
    if data.startswith(ZIP_MAGIC):
        return _read_package(data, filename, limits or ImportLimits())
    return read_text(data, filename)


def _ole_error(data: bytes, filename: str) -> TaskListError:
    if _ENCRYPTED_STREAM in data:
        return TaskListError(
            f"文件“{filename}”设有打开密码（已加密），无法读取；请在 Word/Excel 中取消密码后重新上传",
            part=filename,
        )
    return TaskListError(
        f"文件“{filename}”是旧版 Word/Excel 格式（.doc/.xls），请另存为 .docx 或 .xlsx 后上传",
        part=filename,
    )


def _read_package(data: bytes, filename: str, limits: ImportLimits) -> list[SourceTable]:
    deadline = Deadline(limits.max_seconds)
    try:
        package = open_package(data, limits)  # declared sizes, before anything is unpacked
        names = set(package.namelist())
        broken = package.testzip()
    except (TaskListError, InvalidInput):
        raise
    except Exception as exc:
        raise TaskListError(
            f"文件“{filename}”已损坏：不是完整的 Word/Excel（.docx/.xlsx）文件", part=filename
        ) from exc
    if broken is not None:
        raise TaskListError(f"文件“{filename}”已损坏：其中的“{broken}”无法读取", part=broken)
    if "word/document.xml" in names:
        kind, part, reader = "Word", "word/document.xml", read_docx
    elif "xl/workbook.xml" in names:
        kind, part, reader = "Excel", "xl/workbook.xml", read_xlsx
    else:
        raise TaskListError(
            f"文件“{filename}”是压缩包，但不是 Word（.docx）或 Excel（.xlsx）文档", part=filename
        )
    try:
        shape = scan_package(package, limits, deadline)  # every XML part, streamed, bounded
        return reader(data, shape, limits, deadline)
    except ImportLimitExceeded:
        raise
    except Exception as exc:
        part = getattr(exc, "extra", {}).get("part") or part
        raise TaskListError(
            f"{kind} 文件“{filename}”已损坏或格式不正确，无法读取“{part}”", part=part
        ) from exc
