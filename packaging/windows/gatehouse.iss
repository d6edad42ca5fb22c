; Inno Setup script for Gatehouse on Windows (compiled by CI with ISCC.exe after make package).
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\gatehouse packaging\windows\gatehouse.iss
; Installs per machine into Program Files, adds Start menu entries, and optionally starts the
; kiosk at every login (all users) in fullscreen.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\gatehouse"
#endif

[Setup]
AppId={{6B1E4C1E-2F43-4C55-9A51-6A7A0F1C9D21}
AppName=Gatehouse
AppVersion={#AppVersion}
AppPublisher=Gatehouse
DefaultDirName={autopf}\Gatehouse
DefaultGroupName=Gatehouse
OutputBaseFilename=gatehouse-{#AppVersion}-windows-setup
OutputDir=..\..\dist
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
UninstallDisplayIcon={app}\Gatehouse Kiosk.exe

[Tasks]
Name: "autostart"; Description: "Start the Gatehouse kiosk fullscreen when anyone logs in"; Flags: unchecked
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Gatehouse Kiosk"; Filename: "{app}\Gatehouse Kiosk.exe"; Parameters: "--fullscreen"
Name: "{group}\Gatehouse self-check"; Filename: "{cmd}"; Parameters: "/k ""{app}\gatehouse.exe"" doctor"
Name: "{autodesktop}\Gatehouse Kiosk"; Filename: "{app}\Gatehouse Kiosk.exe"; Parameters: "--fullscreen"; Tasks: desktopicon
Name: "{commonstartup}\Gatehouse Kiosk"; Filename: "{app}\Gatehouse Kiosk.exe"; Parameters: "--fullscreen"; Tasks: autostart

[Registry]
; Let IT run `gatehouse` from any command prompt.
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Check: NeedsAddPath(ExpandConstant('{app}'))

[Code]
function NeedsAddPath(Dir: string): boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_LOCAL_MACHINE,
    'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
