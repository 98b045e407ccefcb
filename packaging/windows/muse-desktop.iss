; Inno Setup 6 script for the Windows installer of Muse Desktop.
;
; build.ps1 in this folder runs PyInstaller first and then this script:
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\muse-desktop.iss
; Relative paths below are relative to this file. The installer goes to dist\.
; NOTE: this script has not been compiled yet, because no Windows machine was available.

#define AppName "Muse Desktop"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; The AppId identifies the app for upgrades and uninstall; keep it the same in every release.
AppId={{8B2C65D3-D9E0-4418-9CED-07D3C550D5F5}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Muse Desktop
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Installs for the current user without administrator rights unless the user asks otherwise.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=muse-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\muse-desktop.ico
UninstallDisplayIcon={app}\muse-desktop.exe
; The embedded model is already quantized, so LZMA2 saves little on it but much on the rest.
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\build\bundle\dist\muse-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\muse-desktop.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\muse-desktop.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\muse-desktop.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
